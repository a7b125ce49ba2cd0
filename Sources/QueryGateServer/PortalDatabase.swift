import Foundation
import Logging
import NIOSSL
import PortalStore
import PostgresNIO

/// The portal database QueryGate was configured with: an external server (`PORTAL_DB_*`), or the embedded
/// one when nothing is configured.
public struct PortalDatabase: Sendable {
    public let clientConfiguration: PostgresClient.Configuration
    /// Where it is, for log lines and messages: never with a password.
    public let location: String
    public let isEmbedded: Bool
    private let embeddedStartedHere: EmbeddedPostgres?

    /// Resolves the configuration to a server, starting the embedded one (and creating its database) if that is
    /// what the configuration means.
    public static func open(_ configuration: QueryGateConfiguration, logger: Logger) async throws -> PortalDatabase {
        if let external = configuration.portalDatabase {
            let tls: PostgresClient.Configuration.TLS =
                switch external.tls {
                case .disable: .disable
                case .prefer: .prefer(.makeClientConfiguration())
                case .require: .require(.makeClientConfiguration())
                }
            var client = PostgresClient.Configuration(
                host: external.host, port: external.port, username: external.user, password: external.password?.reveal(),
                database: external.database, tls: tls)
            client.options.maximumConnections = configuration.portalConnections
            return PortalDatabase(
                clientConfiguration: client, location: "\(external.user)@\(external.host):\(external.port)/\(external.database)",
                isEmbedded: false, embeddedStartedHere: nil)
        }
        let embedded = try EmbeddedPostgres(baseDirectory: configuration.dataDirectory, logger: logger)
        let started = try embedded.start()
        try await embedded.createDatabaseIfMissing()
        var client = embedded.clientConfiguration
        client.options.maximumConnections = configuration.portalConnections
        return PortalDatabase(
            clientConfiguration: client, location: "embedded PostgreSQL in \(embedded.dataDirectory.path)",
            isEmbedded: true, embeddedStartedHere: started ? embedded : nil)
    }

    /// Stops the embedded server if `open` started it; a server somebody else started keeps running.
    public func close() {
        guard let embedded = embeddedStartedHere else { return }
        do {
            try embedded.stop()
        } catch {
            embedded.logger.error("could not stop the embedded PostgreSQL", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `body` with a running client on this database, and shuts the client down afterwards.
    public func withClient<Result: Sendable>(
        logger: Logger, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await PortalDatabase.withClient(clientConfiguration, logger: logger, body)
    }

    public static func withClient<Result: Sendable>(
        _ configuration: PostgresClient.Configuration, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
