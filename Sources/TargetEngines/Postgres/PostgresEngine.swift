import CLibPQ
import Foundation
import Logging
import NIOPosix
import QueryGateCore

/// Runs requests on target PostgreSQL databases through libpq, because targets need what postgres-nio lacks:
/// the simple-query protocol (a script of many statements, one result per statement, exactly as psql runs it)
/// and real cancellation.
///
/// - Every request runs in a transaction: `BEGIN READ ONLY` for a read-only request (the database then refuses
///   any write that slipped past the risk analysis), `BEGIN` otherwise; a failure rolls back, so a script that
///   fails halfway leaves nothing applied.
/// - `statement_timeout` makes the server cancel a statement that runs too long; a watchdog sends `PQcancel`
///   shortly after, in case the server could not.
/// - Rows are read one at a time (single-row mode) into a `ResultCollector`, so memory stays bounded.
/// - Blocking libpq calls run on a dedicated thread pool, never on an event loop. Connections are kept per
///   target, a few at most, and closed once idle for `idleTimeout`.
public final class PostgresEngine: Sendable {
    public struct Job: Sendable {
        public let settings: PostgresTargetSettings
        public let sql: String
        public let readOnly: Bool
        /// Where the CSV export of the result goes.
        public let exportURL: URL

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

    public func execute(_ job: Job) async -> Result<ExecutionResult, ExecutionFailure> {
        let limits = self.limits
        do {
            let connection: LibPQConnection
            if let cached = await connections.take(job.settings) {
                connection = cached
            } else {
                connection = try await threadPool.runIfActive { () throws(ExecutionFailure) -> LibPQConnection in
                    try LibPQConnection.connect(job.settings)
                }
            }
            let result = try await threadPool.runIfActive { Self.run(job, on: connection, limits: limits) }
            await connections.put(connection)
            return result
        } catch let failure as ExecutionFailure {
            return .failure(failure)
        } catch {
            return .failure(ExecutionFailure(message: "the target engine is shutting down: \(error)"))
        }
    }

    /// Closes every idle connection.
    public func shutdown() async {
        await connections.closeAll()
    }

    // MARK: - On a pool thread

    static func run(_ job: Job, on connection: LibPQConnection, limits: ExecutionLimits) -> Result<ExecutionResult, ExecutionFailure> {
        let started = ContinuousClock.now
        func elapsed() -> Int { Int(started.duration(to: .now) / .milliseconds(1)) }
        connection.clearNotices()

        if let failure = connection.command(job.readOnly ? "BEGIN READ ONLY" : "BEGIN")
            ?? connection.command("SET LOCAL statement_timeout = \(Int(limits.statementTimeout / .milliseconds(1)))")
        {
            connection.command("ROLLBACK")
            return .failure(failure)
        }

        let watchdog = Watchdog(connection: connection, after: limits.statementTimeout + watchdogGrace)
        let collector = ResultCollector(limits: limits, exportURL: job.exportURL)
        var failure = drain(job.sql, on: connection, into: collector, watchdog: watchdog)
        watchdog.disarm()

        if failure == nil { failure = connection.command("COMMIT") }
        if failure != nil, PQtransactionStatus(connection.pointer) != PQTRANS_IDLE { connection.command("ROLLBACK") }

        if var failure {
            if failure.sqlState == "57014" {
                failure = ExecutionFailure(
                    message: failure.message + " (the limit is \(limits.statementTimeout); the server cancelled the statement and rolled back)",
                    sqlState: failure.sqlState, position: failure.position, detail: failure.detail, hint: failure.hint)
            }
            return .failure(ExecutionFailure(message: failure.message, sqlState: failure.sqlState, position: failure.position,
                                             detail: failure.detail, hint: failure.hint, milliseconds: elapsed()))
        }
        do {
            return .success(try collector.finish(notices: connection.notices, milliseconds: elapsed()))
        } catch {
            return .failure(ExecutionFailure(message: "the result could not be written: \(error)", milliseconds: elapsed()))
        }
    }

    /// Sends `sql` with the simple-query protocol and reads every result, one row at a time. Returns the first
    /// error; after one, the remaining results are read and dropped (libpq requires it).
    private static func drain(_ sql: String, on connection: LibPQConnection, into collector: ResultCollector, watchdog: Watchdog) -> ExecutionFailure? {
        let pointer = connection.pointer
        guard PQsendQuery(pointer, sql) == 1 else { return ExecutionFailure(message: connection.connectionError) }
        PQsetSingleRowMode(pointer)
        var failure: ExecutionFailure? = nil
        var statementOpen = false

        while let result = PQgetResult(pointer) {
            defer { PQclear(result) }
            do {
                switch PQresultStatus(result) {
                case PGRES_SINGLE_TUPLE:
                    if !statementOpen {
                        try collector.begin(columns: columns(of: result))
                        statementOpen = true
                    }
                    guard failure == nil else { continue }
                    let count = PQnfields(result)
                    try collector.row((0..<count).map { column in
                        PQgetisnull(result, 0, column) == 1 ? nil : String(cString: PQgetvalue(result, 0, column))
                    })
                case PGRES_TUPLES_OK:
                    if !statementOpen { try collector.begin(columns: columns(of: result)) }
                    statementOpen = false
                    collector.end(command: String(cString: PQcmdStatus(result)), rowsAffected: nil, returnedRows: true)
                case PGRES_COMMAND_OK:
                    let affected = Int(String(cString: PQcmdTuples(result)))
                    collector.end(command: String(cString: PQcmdStatus(result)), rowsAffected: affected, returnedRows: false)
                case PGRES_EMPTY_QUERY:
                    break
                case PGRES_FATAL_ERROR:
                    failure = failure ?? LibPQConnection.failure(from: result)
                case PGRES_COPY_OUT:
                    failure = failure ?? ExecutionFailure(message: "COPY … TO STDOUT is not supported: select the rows instead; the result is exported as CSV")
                    var buffer: UnsafeMutablePointer<CChar>? = nil
                    while PQgetCopyData(pointer, &buffer, 0) > 0 { PQfreemem(buffer) }
                case PGRES_COPY_IN:
                    failure = failure ?? ExecutionFailure(message: "COPY … FROM STDIN is not supported: use INSERT statements")
                    PQputCopyEnd(pointer, "COPY FROM STDIN is not supported by QueryGate")
                default:
                    failure = failure ?? LibPQConnection.failure(from: result)
                }
            } catch {
                failure = failure ?? ExecutionFailure(message: "the result could not be written: \(error)")
                watchdog.fire()
            }
        }
        return failure
    }

    private static func columns(of result: OpaquePointer) -> [ExecutionResult.Column] {
        (0..<PQnfields(result)).map { column in
            ExecutionResult.Column(name: String(cString: PQfname(result, column)), type: PostgresTypeNames.name(of: PQftype(result, column)))
        }
    }
}

/// Cancels the running statement from the client side (`PQcancel`, which is safe from another thread) if it
/// is still running after `after`.
final class Watchdog: @unchecked Sendable {
    private let cancel: OpaquePointer?
    private let lock = NSLock()
    private var armed = true

    init(connection: LibPQConnection, after delay: Duration) {
        cancel = PQgetCancel(connection.pointer)
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in fire() }
    }

    func fire() {
        lock.lock()
        defer { lock.unlock() }
        guard armed, let cancel else { return }
        var message = [CChar](repeating: 0, count: 256)
        PQcancel(cancel, &message, 256)
    }

    func disarm() {
        lock.lock()
        defer { lock.unlock() }
        guard armed else { return }
        armed = false
        if let cancel { PQfreeCancel(cancel) }
    }
}

/// Idle connections per target: a few kept for the next request, closed once idle too long.
actor ConnectionCache {
    private var idle: [PostgresTargetSettings: [LibPQConnection]] = [:]
    let idleTimeout: Duration
    let maximumIdlePerTarget: Int

    init(idleTimeout: Duration, maximumIdlePerTarget: Int) {
        self.idleTimeout = idleTimeout
        self.maximumIdlePerTarget = maximumIdlePerTarget
    }

    func take(_ settings: PostgresTargetSettings) -> LibPQConnection? {
        closeExpired()
        return idle[settings]?.popLast()
    }

    func put(_ connection: LibPQConnection) {
        closeExpired()
        guard connection.isHealthy, idle[connection.settings, default: []].count < maximumIdlePerTarget else {
            connection.close()
            return
        }
        connection.lastUsed = .now
        idle[connection.settings, default: []].append(connection)
    }

    func closeAll() {
        idle.values.joined().forEach { $0.close() }
        idle = [:]
    }

    private func closeExpired() {
        let now = ContinuousClock.now
        for (settings, connections) in idle {
            let (expired, fresh) = (connections.filter { now - $0.lastUsed > idleTimeout }, connections.filter { now - $0.lastUsed <= idleTimeout })
            expired.forEach { $0.close() }
            idle[settings] = fresh
        }
    }
}
