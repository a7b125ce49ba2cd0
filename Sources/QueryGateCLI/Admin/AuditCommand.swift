import ArgumentParser
import Foundation
import PortalStore

/// `querygate audit`: who did what, newest first.
struct AuditCommand: ContextualCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Show the newest audit log entries.")

    @Option(help: "How many entries (1 to 1000).") var limit: Int = 20

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
    }

    func run(in context: CommandContext) async throws {
        let limit = self.limit
        let entries = try await context.withStore { store in try await store.recentAuditEntries(limit: limit) }
        TextTable.print(
            ["TIME", "ACTOR", "ACTION", "ENTITY", "DETAILS"],
            entries.map { [$0.createdAt.formatted(.iso8601), $0.actorLabel, $0.action, "\($0.entityType) \($0.entityID ?? "")", $0.detailsJSON] },
            to: context.output, empty: "The audit log is empty.")
    }
}
