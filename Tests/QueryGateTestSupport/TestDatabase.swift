import Crypto
import Foundation
import Logging
import PortalStore
import QueryGateServer
import PostgresNIO

/// A private portal database for one test, on the PostgreSQL server that `scripts/test` started.
///
/// Each test gets its own database, cloned from a migrated template (`CREATE DATABASE … TEMPLATE` copies files,
/// so a clone costs milliseconds), and dropped afterwards. Tests therefore share no data, and run in parallel
/// and in any order.
public struct TestDatabase: Sendable {
    public let name: String
    public let client: PostgresClient
    public let store: PortalStore
    public let server: TestServer

    /// The environment a `querygate` command needs to use this database.
    public var environment: [String: String] {
        server.environment(database: name).merging(["QUERYGATE_MIGRATIONS_DIR": Repository.migrations.path]) { $1 }
    }

    /// Runs `body` with a fresh, migrated portal database.
    public static func withMigrated<Result: Sendable>(_ body: @Sendable (TestDatabase) async throws -> Result) async throws -> Result {
        let server = try TestServer.fromEnvironment()
        let template: String
        do {
            template = try await TemplateRegistry.shared.migratedTemplate(on: server)
        } catch {
            throw HarnessError("could not build the migrated template: \(PortalStore.errorDescription(error))")
        }
        return try await withDatabase(on: server, template: template, body)
    }

    /// Runs `body` with a fresh database that has no tables at all.
    public static func withEmpty<Result: Sendable>(_ body: @Sendable (TestDatabase) async throws -> Result) async throws -> Result {
        try await withDatabase(on: try TestServer.fromEnvironment(), template: "template0", body)
    }

    /// Runs `body` with a copy of the sample target database (Migrations/target_db_schema.sql).
    public static func withTarget<Result: Sendable>(_ body: @Sendable (TestDatabase) async throws -> Result) async throws -> Result {
        let server = try TestServer.fromEnvironment()
        guard let template = ProcessInfo.processInfo.environment["QUERYGATE_TEST_TARGET_TEMPLATE"] else {
            throw TestServer.Missing(description: "QUERYGATE_TEST_TARGET_TEMPLATE is not set: run the tests with scripts/test")
        }
        return try await withDatabase(on: server, template: template, body)
    }

    private static func withDatabase<Result: Sendable>(
        on server: TestServer, template: String, _ body: @Sendable (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let name = "qg_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        do {
            try await server.maintenance { connection, logger in
                // Identifiers cannot be bound; both names are generated here, never user input.
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template)"), logger: logger)
            }
        } catch {
            // postgres-nio's own description hides the server's message.
            throw HarnessError("could not create the test database: \(PortalStore.errorDescription(error))")
        }
        let logger = server.logger
        do {
            let result = try await withClient(server.clientConfiguration(database: name), logger: logger) { client in
                try await body(TestDatabase(name: name, client: client, store: PortalStore(client: client, logger: logger), server: server))
            }
            try await server.drop(name)
            return result
        } catch let error as PSQLError {
            try? await server.drop(name)
            // postgres-nio's description hides the server's message, which is what a failing test must show.
            throw HarnessError("the portal database failed: \(PortalStore.errorDescription(error))")
        } catch {
            try? await server.drop(name)
            throw error
        }
    }

    static func withClient<Result: Sendable>(
        _ configuration: PostgresClient.Configuration, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await PortalDatabase.withClient(configuration, logger: logger, body)
    }
}

/// The PostgreSQL server of the test run, from the variables `scripts/test` exports.
public struct TestServer: Sendable {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    public let host: String
    public let port: Int
    public let user: String
    public let password: String
    public var logger: Logger {
        var logger = Logger(label: "querygate.tests")
        logger.logLevel = .error
        return logger
    }

    public static func fromEnvironment() throws -> TestServer {
        let environment = ProcessInfo.processInfo.environment
        guard let host = environment["PORTAL_DB_HOST"], let port = environment["PORTAL_DB_PORT"].flatMap(Int.init),
              let user = environment["PORTAL_DB_USER"], let password = environment["PORTAL_DB_PASSWORD"]
        else {
            throw Missing(description: "the tests need the PostgreSQL server that scripts/test starts: run them with scripts/test")
        }
        return TestServer(host: host, port: port, user: user, password: password)
    }

    public func clientConfiguration(database: String) -> PostgresClient.Configuration {
        PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }

    public func environment(database: String) -> [String: String] {
        ["PORTAL_DB_HOST": host, "PORTAL_DB_PORT": String(port), "PORTAL_DB_USER": user, "PORTAL_DB_PASSWORD": password,
         "PORTAL_DB_NAME": database, "PORTAL_DB_SSLMODE": "disable"]
    }

    @discardableResult
    /// Runs `body` on a short connection to the maintenance database, where databases are created and dropped.
    public func maintenance<Result: Sendable>(_ body: (PostgresConnection, Logger) async throws -> Result) async throws -> Result {
        let logger = self.logger
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: "postgres", tls: .disable)
        // Not postgres-nio's 10 s: when 500 tests start at once on two cores, a connection can wait longer than that
        // for its turn, and a test that cannot get its database says nothing about QueryGate.
        configuration.options.connectTimeout = .seconds(60)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection, logger)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    public func drop(_ database: String) async throws {
        try await maintenance { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"), logger: logger)
        }
    }
}

/// Paths in the checkout, found from this file's own path.
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static let migrations = root.appendingPathComponent("Migrations", isDirectory: true)

    public static func loadMigrations() throws -> [Migration] {
        try MigrationDirectory.load(from: migrations)
    }
}

/// Builds the migrated template once per server. Named after the migrations' checksums, so that a changed
/// migration can never be tested against a stale template; built under another name and renamed when complete,
/// and under an advisory lock, so that concurrent test processes neither race nor see half a template.
actor TemplateRegistry {
    static let shared = TemplateRegistry()
    private var building: Task<String, any Error>?

    func migratedTemplate(on server: TestServer) async throws -> String {
        if let building { return try await building.value }
        let task = Task { try await Self.build(on: server) }
        building = task
        do {
            return try await task.value
        } catch {
            // A failed build is not kept: the next test tries again rather than every later test failing with it.
            building = nil
            throw error
        }
    }

    private static func build(on server: TestServer) async throws -> String {
        let migrations = try Repository.loadMigrations()
        let digest = SHA256.hash(data: Data(migrations.map(\.checksum).joined().utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        let template = "qg_template_\(digest)"
        let scratch = template + "_building"
        let lockKey: Int64 = 0x5147_5445_5354  // "QGTEST"
        // One maintenance connection holds the session lock for the whole build.
        try await server.maintenance { connection, logger in
            try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
            let found = try await connection.query("SELECT count(*) FROM pg_database WHERE datname = \(template)", logger: logger)
                .decode(Int.self).reduce(0, +) > 0
            if !found {
                try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(scratch) WITH (FORCE)"), logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(scratch) TEMPLATE template0"), logger: logger)
                try await TestDatabase.withClient(server.clientConfiguration(database: scratch), logger: logger) { client in
                    _ = try await MigrationRunner(client: client, logger: logger).migrate(migrations)
                }
                // A template must have no sessions: end the pool's, which may still be closing.
                try await connection.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(scratch)", logger: logger)
                // Termination is asynchronous: retry the rename while the last sessions go.
                for attempt in 1...50 {
                    do {
                        try await connection.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(scratch) RENAME TO \(template)"), logger: logger)
                        break
                    } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 50 {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
            try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
        }
        return template
    }
}
