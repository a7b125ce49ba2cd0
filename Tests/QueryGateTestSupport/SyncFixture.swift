import Foundation
import PortalStore
import PostgresNIO
import QueryGateCore

/// Databases created on the test cluster for sync tests, under a prefix of their own so that parallel tests (and
/// the other tests' databases) never meet: the fixture's instance blacklists every other name with a regex.
public struct SyncFixture: Sendable {
    public let database: TestDatabase
    /// `qgs_` and 8 random hex digits; every database this fixture creates starts with it.
    public let prefix: String
    public let instance: InstanceName
    /// The variable prefix the instance names: `<variablePrefix>_HOST`…
    public let variablePrefix = "PG_INSTANCE_SYNC"

    /// The credentials of the test cluster, as `querygate serve` would read them.
    public var environment: [String: String] {
        ["\(variablePrefix)_HOST": database.server.host, "\(variablePrefix)_PORT": String(database.server.port),
         "\(variablePrefix)_USER": database.server.user, "\(variablePrefix)_PASSWORD": database.server.password]
    }

    /// Registers instance `pg-sync` on the test cluster, with the blacklist that hides every foreign database.
    public static func make(_ database: TestDatabase) async throws -> SyncFixture {
        let prefix = "qgs_" + UUID().uuidString.lowercased().prefix(8)
        let fixture = SyncFixture(database: database, prefix: prefix, instance: try InstanceName("pg-sync"))
        try await database.store.addInstance(
            NewInstance(name: fixture.instance, type: .postgresql,
                        credentials: .environmentPrefix(try EnvironmentVariableName(fixture.variablePrefix, field: "x")), description: nil),
            by: .cli(osUser: "tester"))
        try await database.client.query(
            """
            INSERT INTO database_blacklist (instance_id, pattern, kind, reason)
            SELECT id, \("^(?!" + prefix + ")"), 'regex', 'other tests' FROM database_instances WHERE name = 'pg-sync'
            """)
        return fixture
    }

    /// `prefix_<suffix>`, created empty.
    @discardableResult
    public func create(_ suffixes: String...) async throws -> [String] {
        let names = suffixes.map { "\(prefix)_\($0)" }
        try await database.server.maintenance { connection, logger in
            // Generated names (a fixed prefix and this file's literals), never input.
            for name in names {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE template0"), logger: logger)
            }
        }
        return names
    }

    public func drop(_ suffixes: String...) async throws {
        for suffix in suffixes { try await database.server.drop("\(prefix)_\(suffix)") }
    }

    /// Drops every database of this fixture.
    public func dropAll() async throws {
        let names = try await database.server.maintenance { connection, logger in
            try await connection.query("SELECT datname FROM pg_database WHERE starts_with(datname, \(prefix))", logger: logger)
                .decode(String.self).reduce(into: [String]()) { $0.append($1) }
        }
        for name in names { try await database.server.drop(name) }
    }

    /// (name, source, is_active, missing) of the instance's rows, by name.
    public func rows() async throws -> [String] {
        try await Rows.strings(
            """
            SELECT d.name || ' ' || d.source || ' ' || CASE WHEN d.is_active THEN 'active' ELSE 'inactive' END
                   || CASE WHEN d.missing_since IS NULL THEN '' ELSE ' missing' END
            FROM databases d JOIN database_instances i ON i.id = d.instance_id
            WHERE i.name = 'pg-sync' ORDER BY d.name
            """, in: database)
    }
}
