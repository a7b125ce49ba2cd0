import CLibPQ
import Foundation
import NIOPosix
import QueryGateCore

/// Lists the databases of a PostgreSQL instance for the hybrid sync: one connection of its own (never one of the
/// engine's cached ones), one query, closed again.
///
/// It connects to the `postgres` maintenance database (as `psql -l` does), or to `template1` where that does not
/// exist, and reads the databases that accept connections and are not templates.
public struct PostgresDatabaseLister: Sendable {
    let threadPool: NIOThreadPool

    public init(threadPool: NIOThreadPool) {
        self.threadPool = threadPool
    }

    /// The names, and the server's system identifier, within `timeout` for connecting and listing together.
    /// - Throws: `ExecutionFailure` naming the variable at fault or the server's answer, never a secret.
    public func databases(prefix: String, environment: [String: String], timeout: Duration) async throws(ExecutionFailure) -> DatabaseListing {
        let settings = try PostgresTargetSettings.resolve(prefix: prefix, database: "postgres", environment: environment)
        let threadPool = self.threadPool
        let milliseconds = max(1, Int(timeout / .milliseconds(1)))
        return try await withListingDeadline(timeout, what: "listing the databases on \(settings.host):\(settings.port)") {
            try await threadPool.runIfActive { () throws(ExecutionFailure) -> DatabaseListing in
                try Self.list(settings, statementTimeoutMilliseconds: milliseconds)
            }
        }
    }

    /// On a pool thread.
    static func list(_ settings: PostgresTargetSettings, statementTimeoutMilliseconds: Int) throws(ExecutionFailure) -> DatabaseListing {
        let connection: LibPQConnection
        do {
            connection = try LibPQConnection.connect(settings)
        } catch where error.message.contains("does not exist") {
            connection = try LibPQConnection.connect(
                PostgresTargetSettings(host: settings.host, port: settings.port, user: settings.user, password: settings.password,
                                       database: "template1"))
        }
        defer { connection.close() }
        if let failure = connection.command("SET statement_timeout = \(statementTimeoutMilliseconds)") { throw failure }
        guard let result = PQexec(connection.pointer, "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")
        else { throw ExecutionFailure(message: connection.connectionError) }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK else { throw LibPQConnection.failure(from: result) }
        let names = (0..<PQntuples(result)).map { String(cString: PQgetvalue(result, $0, 0)) }
        return DatabaseListing(names: names, serverIdentity: systemIdentifier(on: connection))
    }

    /// The server's `system_identifier`, or nil where the role may not call `pg_control_system()` (a managed
    /// service may revoke it): asked on its own, so that a refusal costs nothing but the answer.
    static func systemIdentifier(on connection: LibPQConnection) -> String? {
        guard let result = PQexec(connection.pointer, "SELECT system_identifier::text FROM pg_control_system()") else { return nil }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK, PQntuples(result) == 1, PQgetisnull(result, 0, 0) == 0 else { return nil }
        return String(cString: PQgetvalue(result, 0, 0))
    }
}
