import ArgumentParser
import Foundation
import PortalStore
import QueryGateServer

/// `querygate migrate`: brings the portal schema up to date, or shows where it stands.
struct MigrateCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the pending portal database migrations, in order (back up with pg_dump first).",
        discussion: """
            Each migration runs in a transaction with the row that records it in querygate_migrations (version, \
            checksum, time). An applied migration whose file has changed is refused. Safe to run while other \
            replicas start: an advisory lock serialises runs.
            """
    )

    @Flag(name: .long, help: "List every migration and whether it is applied, instead of applying.")
    var status = false

    @Option(name: .long, help: "The migrations folder (default: QUERYGATE_MIGRATIONS_DIR, or ./Migrations).")
    var migrationsDir: String?

    func run(in context: CommandContext) async throws {
        let configuration = try context.configuration()
        let logger = context.logger(for: configuration)
        let migrations = try context.migrations(configuration, override: migrationsDir)
        let database = try await PortalDatabase.open(configuration, logger: logger)
        defer { database.close() }
        let output = context.output
        let showStatus = status

        try await database.withClient(logger: logger) { client in
            let runner = MigrationRunner(client: client, logger: logger)
            if showStatus {
                let statuses = try await runner.status(of: migrations)
                TextTable.print(["VERSION", "NAME", "STATE"], statuses.map(Self.row), to: output, empty: "no migrations")
                if let broken = statuses.first(where: { $0.state != .pending && !$0.isApplied }) {
                    throw MigrationError.changedOrMissing(label: "\(broken.version)_\(broken.name)")
                }
                return
            }
            output.line("Portal database: \(database.location)")
            let applied = try await runner.migrate(migrations)
            for migration in applied {
                output.line("applied \(migration.migration.label) (\(migration.milliseconds) ms)")
            }
            output.line(applied.isEmpty
                ? "Already up to date: \(migrations.count) migrations applied, nothing to do."
                : "Done: \(applied.count) applied, \(migrations.count) in all.")
        }
    }

    static func row(_ status: MigrationRunner.Status) -> [String] {
        let state: String
        switch status.state {
        case .applied(let date): state = "applied \(date.formatted(.iso8601))"
        case .pending: state = "pending"
        case .changed(let date): state = "CHANGED since it was applied \(date.formatted(.iso8601)): restore the file"
        case .missingFile(let date): state = "applied \(date.formatted(.iso8601)), but its FILE IS MISSING"
        }
        return [String(status.version), status.name, state]
    }
}

extension MigrationRunner.Status {
    var isApplied: Bool {
        if case .applied = state { return true }
        return false
    }
}
