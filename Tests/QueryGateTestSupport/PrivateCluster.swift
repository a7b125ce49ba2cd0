import Foundation
import Logging
import NIOPosix
import PortalStore
import PostgresNIO
import QueryGateServer

/// A PostgreSQL server of one test's own, which the test may stop and restart: the fault tests take the portal
/// database away, which they cannot do to the server every other test shares. It is QueryGate's embedded server
/// (a Unix socket in a private folder), migrated, with a pooled client that outlives its restarts.
public struct PrivateCluster: Sendable {
    public let embedded: EmbeddedPostgres
    public let client: PostgresClient
    public let store: PortalStore

    /// Runs `body` with a fresh, migrated server and its client running; removes the server afterwards.
    public static func run<Result: Sendable>(_ body: @Sendable (PrivateCluster) async throws -> Result) async throws -> Result {
        // Short, because a Unix socket's path is at most 107 bytes.
        let base = URL(fileURLWithPath: "/tmp/qgf-\(UUID().uuidString.prefix(8))", isDirectory: true)
        let logger = AppHarness.quietLogger
        let embedded = try EmbeddedPostgres(baseDirectory: base, logger: logger)
        defer {
            try? embedded.stop()
            try? FileManager.default.removeItem(at: base)
        }
        do {
            _ = try await NIOThreadPool.singleton.runIfActive { try embedded.start() }
            try await embedded.createDatabaseIfMissing()
            return try await PortalDatabase.withClient(embedded.clientConfiguration, logger: logger) { client in
                _ = try await MigrationRunner(client: client, logger: logger).migrate(try Repository.loadMigrations())
                return try await body(PrivateCluster(embedded: embedded, client: client, store: PortalStore(client: client, logger: logger)))
            }
        } catch {
            // postgres-nio's own description hides the server's message.
            throw HarnessError(PortalStore.errorDescription(error))
        }
    }

    /// Stops the server as an operator's restart does (`pg_ctl stop -m fast`: sessions are ended). `pg_ctl` blocks,
    /// so it runs on a thread of its own: a blocked thread of Swift's small concurrency pool would delay the very
    /// deadlines these tests measure.
    public func stop() async throws { try await NIOThreadPool.singleton.runIfActive { try embedded.stop() } }

    public func start() async throws { _ = try await NIOThreadPool.singleton.runIfActive { try embedded.start() } }
}
