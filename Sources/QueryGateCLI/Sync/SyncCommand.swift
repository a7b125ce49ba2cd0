import ArgumentParser
import Foundation
import NIOPosix
import PortalStore
import QueryGateCore
import QueryGateServer

/// `querygate sync`: discover the databases on the instances now, and read the history of past syncs.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync the database registry with what the instances hold, or show past syncs.",
        subcommands: [Run.self, History.self],
        defaultSubcommand: Run.self
    )

    struct Run: ContextualCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Sync one instance, or every active one (the default when no subcommand is given).",
            discussion: """
                Example: querygate sync --instance pg-main
                Exits with status 69 when a sync failed (the table says why; nothing is changed for that instance), and 75
                when one was not started because another sync of that instance was queued or running.
                """
        )

        @Option(help: "Only this instance.") var instance: String?

        func run(in context: CommandContext) async throws {
            let instance = try instance.map { try InstanceName($0) }
            let configuration = try context.configuration()
            let logger = context.logger(for: configuration)
            let actor = context.actor
            let results = try await context.withStore { store in
                try await DatabaseSync(
                    store: store, threadPool: .singleton, environment: configuration.targetEnvironment.values,
                    timeout: configuration.sync.timeout, logger: logger
                ).sync(instance: instance, trigger: .cli, by: actor)
            }
            TextTable.print(
                ["INSTANCE", "RESULT", "FOUND", "ADDED", "REACTIVATED", "MARKED MISSING", "SKIPPED", "ERROR"],
                results.map { Self.row($0.instance, $0.outcome) },
                to: context.output, empty: "No active instances to sync: add one with `querygate instances add`.")
            if results.contains(where: { $0.outcome.isFailure }) { throw ExitCode(CommandFailure.unavailable) }
            if results.contains(where: { if case .alreadyRunning = $0.outcome { true } else { false } }) {
                throw ExitCode(CommandFailure.temporaryFailure)
            }
        }

        static func row(_ instance: String, _ outcome: SyncOutcome) -> [String] {
            switch outcome {
            case .succeeded(let c):
                [instance, "succeeded", String(c.found), String(c.added), String(c.reactivated), String(c.markedMissing), String(c.skipped), ""]
            case .failed(let message): [instance, "failed", "-", "-", "-", "-", "-", message]
            case .alreadyRunning(let running): [instance, "not started", "-", "-", "-", "-", "-", running.sentence + "; try again when it has finished"]
            case .syncedRecently: [instance, "skipped", "-", "-", "-", "-", "-", "synced recently"]
            }
        }
    }

    struct History: ContextualCommand {
        static let configuration = CommandConfiguration(abstract: "List past syncs, newest first.")

        @Option(help: "Only this instance.") var instance: String?
        @Option(help: "How many rows (1 to 1000).") var limit: Int = 20

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ArgumentParser.ValidationError("--limit must be from 1 to 1000") }
        }

        func run(in context: CommandContext) async throws {
            let instance = try instance.map { try InstanceName($0) }
            let limit = self.limit
            let entries = try await context.withStore { store in
                if let instance, try await store.listInstances(named: instance.rawValue).isEmpty {
                    throw QueryGateCore.ValidationError.noInstance(named: instance)
                }
                return try await store.syncHistory(instance: instance, limit: limit)
            }
            TextTable.print(
                ["STARTED", "INSTANCE", "STATUS", "TRIGGER", "BY", "FOUND", "ADDED", "REACTIVATED", "MARKED MISSING", "SECONDS", "ERROR"],
                entries.map { entry in
                    let seconds = entry.finishedAt.map { String(format: "%.2f", $0.timeIntervalSince(entry.startedAt)) } ?? "-"
                    return [entry.startedAt.formatted(.iso8601), entry.instanceName, entry.status, entry.trigger, entry.triggeredBy ?? "",
                            String(entry.counts.found), String(entry.counts.added), String(entry.counts.reactivated),
                            String(entry.counts.markedMissing), seconds, entry.errorMessage ?? ""]
                },
                to: context.output, empty: "No syncs yet: run `querygate sync`.")
        }
    }
}
