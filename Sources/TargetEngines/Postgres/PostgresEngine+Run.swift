import CLibPQ
import Foundation
import QueryGateCore

extension PostgresEngine {
    /// How a run ended, as far as a retry is concerned.
    enum Outcome: Sendable {
        /// Nothing of the request's text reached the server: trying again on another connection is safe.
        case notSent(ExecutionFailure)
        /// The text was sent (all or part of it): whatever happened, it is never re-run.
        case sent(Result<ExecutionResult, ExecutionFailure>)
    }

    // MARK: - On a pool thread

    static func run(_ job: Job, on connection: LibPQConnection, limits: ExecutionLimits, watchdog: Watchdog) -> Outcome {
        let started = ContinuousClock.now
        func elapsed() -> Int { Int(started.duration(to: .now) / .milliseconds(1)) }
        connection.clearNotices()

        let timeout = "SET LOCAL statement_timeout = \(Int(limits.statementTimeout / .milliseconds(1)))"
        // The read-only transaction's snapshot is taken by QueryGate's `SELECT 1`, before any statement of the
        // request: from then on the transaction's read-only mode can no longer be set to read-write.
        let setup = job.readOnly ? ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "SELECT 1", timeout] : ["BEGIN", timeout]
        for command in setup {
            if let failure = connection.command(command) {
                connection.command("ROLLBACK")
                return .notSent(failure)
            }
        }
        guard !watchdog.isTaskCancelled else {
            connection.command("ROLLBACK")
            return .notSent(.cancelled)
        }

        let collector = ResultCollector(limits: limits, exportURL: job.exportURL)
        var failure = job.readOnly
            ? drainOneByOne(job.sql, on: connection, into: collector, watchdog: watchdog, exportThroughCopy: job.exportThroughCopy)
            : drain(job.sql, on: connection, into: collector, watchdog: watchdog, sendParameters: false)

        if failure == nil, job.readOnly { failure = checkStillReadOnly(connection) }
        if failure == nil, !job.readOnly { failure = connection.command("COMMIT") }
        if failure != nil || job.readOnly, PQtransactionStatus(connection.pointer) != PQTRANS_IDLE { connection.command("ROLLBACK") }

        if let failure {
            if watchdog.isTaskCancelled { return .sent(.failure(.cancelled)) }
            // 57014 is the server's `statement_timeout` (ours, when the run has lasted that long) or the watchdog's
            // cancel past it; a cancel by someone else on the server keeps the server's words.
            let ranPastLimit = elapsed() >= Int(limits.statementTimeout / .milliseconds(1))
            if failure.sqlState == "57014", watchdog.firedAtDeadline || (ranPastLimit && failure.message.contains("statement timeout")) {
                return .sent(.failure(.timedOut(failure, limit: limits.statementTimeout,
                                                consequence: "the statement was cancelled and the transaction rolled back",
                                                milliseconds: elapsed())))
            }
            return .sent(.failure(ExecutionFailure(message: failure.message, sqlState: failure.sqlState, position: failure.position,
                                                   detail: failure.detail, hint: failure.hint, milliseconds: elapsed())))
        }
        do {
            return .sent(.success(try collector.finish(notices: connection.notices, milliseconds: elapsed())))
        } catch {
            return .sent(.failure(ExecutionFailure(message: "the result could not be written: \(error)", milliseconds: elapsed())))
        }
    }

    /// A read-only request's statements, one message each with the extended protocol (which refuses a second
    /// statement in one message, so a statement the analysis did not see cannot ride along), stopping at the first
    /// error, at a cancellation, or when a statement ended QueryGate's transaction. A request that is one query
    /// is read through COPY instead (`drainThroughCopy`), unless the job says otherwise.
    private static func drainOneByOne(_ sql: String, on connection: LibPQConnection, into collector: ResultCollector, watchdog: Watchdog,
                                      exportThroughCopy: Bool) -> ExecutionFailure? {
        let statements = SQLScript.parse(sql)
        if exportThroughCopy, statements.count == 1, let query = statements.first, isCopyableQuery(query),
           case .finished(let failure) = drainThroughCopy(query, on: connection, into: collector, watchdog: watchdog) {
            return failure
        }
        for (index, statement) in statements.enumerated() {
            guard !watchdog.isTaskCancelled else { return .cancelled }
            if let failure = drain(statement.text, on: connection, into: collector, watchdog: watchdog, sendParameters: true) {
                return failure.position.map { failure.moved(to: $0 + statement.offset) } ?? failure
            }
            guard PQtransactionStatus(connection.pointer) == PQTRANS_INTRANS else {
                return ExecutionFailure(
                    message: "statement \(index + 1) ended QueryGate's read-only transaction, so the request was stopped there; "
                        + "transaction control (COMMIT, ROLLBACK, BEGIN…) cannot run in a read-only request")
            }
        }
        return nil
    }

    /// `RESET transaction_read_only` switches read-only mode off even after the snapshot; the rollback undoes what
    /// followed, and the request fails so that nobody reads its result as that of a read-only request.
    private static func checkStillReadOnly(_ connection: LibPQConnection) -> ExecutionFailure? {
        guard let result = PQexec(connection.pointer, "SHOW transaction_read_only") else { return ExecutionFailure(message: connection.connectionError) }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK else { return LibPQConnection.failure(from: result) }
        guard PQntuples(result) == 1, String(cString: PQgetvalue(result, 0, 0)) == "on" else {
            return ExecutionFailure(
                message: "the request switched its transaction out of read-only mode (RESET transaction_read_only, perhaps inside a "
                    + "function); QueryGate rolled everything back")
        }
        return nil
    }

    /// Sends `sql` (with the simple-query protocol, or as one extended-protocol statement when `sendParameters`) and
    /// reads every result, one row at a time. Returns the first error; after one, the remaining results are read
    /// and dropped (libpq requires it).
    private static func drain(_ sql: String, on connection: LibPQConnection, into collector: ResultCollector, watchdog: Watchdog,
                              sendParameters: Bool) -> ExecutionFailure? {
        let pointer = connection.pointer
        let sent = sendParameters ? PQsendQueryParams(pointer, sql, 0, nil, nil, nil, nil, 0) : PQsendQuery(pointer, sql)
        guard sent == 1 else { return ExecutionFailure(message: connection.connectionError) }
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

    static func columns(of result: OpaquePointer) -> [ExecutionResult.Column] {
        (0..<PQnfields(result)).map { column in
            ExecutionResult.Column(name: String(cString: PQfname(result, column)), type: PostgresTypeNames.name(of: PQftype(result, column)))
        }
    }
}

extension ExecutionFailure {
    /// The same failure with its position counted from the start of the whole script.
    func moved(to position: Int?) -> ExecutionFailure {
        ExecutionFailure(message: message, sqlState: sqlState, position: position, detail: detail, hint: hint, milliseconds: milliseconds)
    }
}
