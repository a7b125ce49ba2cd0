import CLibPQ
import Foundation
import NIOPosix
import QueryGateCore
import Synchronization

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

    /// The names, within `timeout` for connecting and listing together.
    /// - Throws: `ExecutionFailure` naming the variable at fault or the server's answer, never a secret.
    public func databaseNames(prefix: String, environment: [String: String], timeout: Duration) async throws(ExecutionFailure) -> [String] {
        let settings = try PostgresTargetSettings.resolve(prefix: prefix, database: "postgres", environment: environment)
        let threadPool = self.threadPool
        let milliseconds = max(1, Int(timeout / .milliseconds(1)))
        return try await withDeadline(timeout, what: "listing the databases on \(settings.host):\(settings.port)") {
            try await threadPool.runIfActive { () throws(ExecutionFailure) -> [String] in
                try Self.list(settings, statementTimeoutMilliseconds: milliseconds)
            }
        }
    }

    /// On a pool thread.
    static func list(_ settings: PostgresTargetSettings, statementTimeoutMilliseconds: Int) throws(ExecutionFailure) -> [String] {
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
        return (0..<PQntuples(result)).map { String(cString: PQgetvalue(result, $0, 0)) }
    }
}

/// Runs `body`, or fails with a message saying what ran out of time, without waiting for `body` to notice: a
/// blocking libpq call on a pool thread cannot be cancelled, so it is left to finish by itself (libpq's
/// `connect_timeout` and the server's `statement_timeout` bound it) and its result is dropped.
func withDeadline<Result: Sendable>(
    _ timeout: Duration, what: String, _ body: @escaping @Sendable () async throws -> Result
) async throws(ExecutionFailure) -> Result {
    let outcome: Swift.Result<Result, ExecutionFailure> = await withCheckedContinuation { continuation in
        let once = ResumeOnce(continuation)
        @Sendable func finish(_ value: Swift.Result<Result, ExecutionFailure>) { once.resume(value) }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            finish(.failure(ExecutionFailure(message: "\(what) took longer than \(timeout) (QUERYGATE_SYNC_TIMEOUT)")))
        }
        Task {
            defer { timer.cancel() }
            do {
                finish(.success(try await body()))
            } catch let failure as ExecutionFailure {
                finish(.failure(failure))
            } catch {
                finish(.failure(ExecutionFailure(message: "\(what) failed: \(error)")))
            }
        }
    }
    return try outcome.get()
}

/// A continuation resumed by whichever of two tasks finishes first.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let pending: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) { pending = Mutex(continuation) }

    func resume(_ value: Value) {
        pending.withLock { continuation in
            continuation?.resume(returning: value)
            continuation = nil
        }
    }
}
