import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PortalStore
import PostgresNIO
import QueryGateServer

/// `querygate serve`: the HTTP gateway.
struct ServeCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the gateway on QUERYGATE_HOST:QUERYGATE_PORT (default 127.0.0.1:8080).",
        discussion: """
            Applies pending migrations first (unless QUERYGATE_AUTO_MIGRATE=false), under a lock that lets several \
            replicas start at once. Stops gracefully on SIGINT or SIGTERM.
            """
    )

    func run(in context: CommandContext) async throws {
        let configuration = try context.configuration()
        let logger = context.logger(for: configuration, defaultLevel: configuration.logLevel)
        let migrations = try context.migrations(configuration)

        let database = try await PortalDatabase.open(configuration, logger: logger)
        defer { database.close() }
        if database.isEmbedded {
            logger.notice(
                "No PORTAL_DB_HOST is set: using QueryGate's embedded PostgreSQL. Set PORTAL_DB_* to use your own server.",
                metadata: ["data": "\(configuration.dataDirectory.path)"])
        } else {
            logger.notice("Using the portal database", metadata: ["database": "\(database.location)"])
        }

        let client = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
        let migrateFirst = configuration.autoMigrate || database.isEmbedded
        let app = try await QueryGateApp.build(configuration: configuration, client: client, logger: logger) {
            try await Self.prepareSchema(client: client, migrations: migrations, apply: migrateFirst, logger: logger)
        }
        try await app.runService()
    }

    /// Applies pending migrations, or, when automatic migration is off, refuses to serve an outdated schema.
    static func prepareSchema(client: PostgresClient, migrations: [Migration], apply: Bool, logger: Logger) async throws {
        let runner = MigrationRunner(client: client, logger: logger)
        if apply {
            let applied = try await runner.migrate(migrations)
            logger.notice("Portal schema is up to date", metadata: ["applied_now": "\(applied.map(\.migration.label))"])
            return
        }
        let pending = try await runner.status(of: migrations).filter { $0.state == .pending }
        guard pending.isEmpty else {
            throw MigrationError.pendingWithoutAutoMigrate(pending.map(\.name))
        }
    }
}
