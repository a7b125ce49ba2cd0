import CLibPQ
import Foundation
import Logging
import NIOPosix
import QueryGateCore

/// Runs requests on target PostgreSQL databases through libpq, because targets need what postgres-nio lacks:
/// the simple-query protocol (a script of many statements, one result per statement, exactly as psql runs it)
/// and real cancellation.
///
/// - Every request starts on a clean session: a cached connection is reset (`DISCARD ALL`) before use, which
///   also proves it alive; one whose reset fails is closed and another (or a new one) taken.
/// - A read-only request runs in `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY` whose snapshot QueryGate
///   takes itself (`SELECT 1`) before the request's first statement, so that `SET TRANSACTION READ WRITE` and
///   `SET transaction_read_only = off` fail (25001). Its statements are sent one at a time with the extended
///   protocol, which refuses a second statement in one message, and after each QueryGate checks that its
///   transaction is still open (a `COMMIT` in the text stops the request there). It always ends in `ROLLBACK`:
///   `RESET transaction_read_only` does switch read-only mode off even after the snapshot (PostgreSQL 15, also
///   from inside a function), so the rollback, not the mode, is what guarantees nothing it wrote stays; the
///   request fails if it left read-only mode. What no transaction undoes (files written by `COPY … TO`, a
///   sequence's `nextval`, `dblink`) the risk analysis calls dangerous, and the target user should not be able to
///   do (see the README).
/// - Any other request runs as psql runs a script: `BEGIN`, the text as one simple-query message, `COMMIT`; a
///   failure rolls back, so a script that fails halfway leaves nothing applied.
/// - `statement_timeout` makes the server cancel a statement that runs too long; a watchdog sends `PQcancel`
///   shortly after, in case the server could not. Cancelling the Swift task running `execute` sends `PQcancel`
///   at once, rolls back, closes the connection and returns `ExecutionFailure.cancelled`.
/// - A request that failed before any of its text reached the server (a connection that died between its reset
///   and `BEGIN`, say) is tried once more on a new connection; one whose text was sent is never re-run.
/// - Rows are read one at a time (single-row mode) into a `ResultCollector`, so memory stays bounded. A read-only
///   request that is one query is read through `COPY (query) TO STDOUT WITH (FORMAT csv)`, psql's own path,
///   whose lines go to the export file as they are (`PostgresEngine+Copy`).
/// - Blocking libpq calls run on a dedicated thread pool, never on an event loop. Connections are kept per
///   target, a few at most, and closed once idle for `idleTimeout`.
public final class PostgresEngine: Sendable {
    public struct Job: Sendable {
        public let settings: PostgresTargetSettings
        public let sql: String
        public let readOnly: Bool
        /// Where the CSV export of the result goes.
        public let exportURL: URL
        /// Whether a read-only request that is one query is read through `COPY … TO STDOUT` (the fast path, see
        /// `PostgresEngine+Copy`) rather than a row at a time. Both write the same file; the tests and the
        /// benchmark compare them.
        public var exportThroughCopy = true

        public init(settings: PostgresTargetSettings, sql: String, readOnly: Bool, exportURL: URL) {
            self.settings = settings
            self.sql = sql
            self.readOnly = readOnly
            self.exportURL = exportURL
        }
    }

    let threadPool: NIOThreadPool
    let limits: ExecutionLimits
    let connections: ConnectionCache
    let logger: Logger
    /// How long after `statement_timeout` the watchdog cancels from the client side.
    static let watchdogGrace: Duration = .seconds(5)

    public init(threadPool: NIOThreadPool, limits: ExecutionLimits, idleTimeout: Duration = .seconds(60), logger: Logger) {
        self.threadPool = threadPool
        self.limits = limits
        self.connections = ConnectionCache(idleTimeout: idleTimeout, maximumIdlePerTarget: 2)
        self.logger = logger
    }

    /// Runs `job` and returns its result or why it failed. It honours task cancellation (see the type's doc).
    public func execute(_ job: Job) async -> Result<ExecutionResult, ExecutionFailure> {
        for attempt in 1...2 {
            guard !Task.isCancelled else { return .failure(.cancelled) }
            let connection: LibPQConnection
            do {
                connection = try await checkOut(job.settings)
            } catch let failure as ExecutionFailure {
                return .failure(failure)
            } catch {
                return .failure(ExecutionFailure(message: "the target engine is shutting down: \(error)"))
            }
            switch await run(job, on: connection) {
            case .notSent(let failure):
                connection.close()
                guard attempt == 1, failure != .cancelled else { return .failure(failure) }
                logger.warning("a target connection failed before the request was sent; trying once more on a new one",
                               metadata: ["database": "\(job.settings.database)", "error": "\(failure.message)"])
            case .sent(let result):
                if case .failure(.cancelled) = result { connection.close() } else { await connections.put(connection) }
                return result
            }
        }
        return .failure(ExecutionFailure(message: "unreachable: the retry loop ended"))
    }

    /// Closes every idle connection.
    public func shutdown() async {
        await connections.closeAll()
    }

    /// A cached connection whose session was reset, or a new one. A cached connection whose reset fails (the
    /// server restarted, or closed it) is closed, and the next tried.
    private func checkOut(_ settings: PostgresTargetSettings) async throws -> LibPQConnection {
        while let cached = await connections.take(settings) {
            let failure = try await threadPool.runIfActive { cached.resetSession() }
            guard let failure else { return cached }
            cached.close()
            logger.info("closed a target connection whose reset failed", metadata: ["database": "\(settings.database)", "error": "\(failure.message)"])
        }
        return try await threadPool.runIfActive { () throws(ExecutionFailure) -> LibPQConnection in
            let connection = try LibPQConnection.connect(settings)
            if let failure = connection.resetSession() {
                connection.close()
                throw failure
            }
            return connection
        }
    }

    /// Runs `job` on a pool thread; a cancellation of the calling task cancels the statement on the server.
    private func run(_ job: Job, on connection: LibPQConnection) async -> Outcome {
        let limits = self.limits
        let watchdog = Watchdog(connection: connection, after: limits.statementTimeout + Self.watchdogGrace)
        defer { watchdog.disarm() }
        do {
            return try await withTaskCancellationHandler {
                try await threadPool.runIfActive { Self.run(job, on: connection, limits: limits, watchdog: watchdog) }
            } onCancel: {
                watchdog.cancelTask()
            }
        } catch {
            return .notSent(ExecutionFailure(message: "the target engine is shutting down: \(error)"))
        }
    }

}
