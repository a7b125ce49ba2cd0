import CLibPQ
import Foundation
import QueryGateCore

/// The export of a read-only request that is one query, through `COPY (query) TO STDOUT WITH (FORMAT csv)`: psql's
/// own path. The server writes each row as a CSV line, which goes to the export file as it is (its `\n` made the
/// `\r\n` QueryGate's CSV ends lines with), so no value is decoded, copied into a `String` or escaped again on
/// the way; the preview is read off the first lines. The file is byte for byte what the row-at-a-time path writes
/// for the same query (the values are the same text, quoted by the same rules).
///
/// The user's text is first prepared, unnamed, with the extended protocol: the server parses it as exactly one
/// statement, says which columns it returns and fails it as it would fail on its own. Only a statement that
/// prepared, returns rows and takes no parameters is wrapped: a complete statement cannot close the parenthesis
/// around it (its literals, quoted names and comments are closed, and a line break ends a trailing `--` comment),
/// and the wrapped text is sent with the extended protocol too, which refuses a second statement.
extension PostgresEngine {
    enum CopyOutcome {
        /// The statement is not a plain query (it returns no rows, or takes parameters): use the row path.
        case notAQuery
        /// The statement ran through COPY; `nil`, or why it failed.
        case finished(ExecutionFailure?)
    }

    /// The first keyword of a statement that COPY takes as a query and that can only read. `WITH` qualifies only
    /// without a data-modifying part: in a read-only transaction that fails either way, but with the row path's
    /// own words.
    static func isCopyableQuery(_ statement: SQLScript.Statement) -> Bool {
        let words = statement.tokens.compactMap(\.word)
        switch words.first {
        case "SELECT", "VALUES", "TABLE": return true
        case "WITH": return !words.contains { ["INSERT", "UPDATE", "DELETE", "MERGE"].contains($0) }
        default: return false
        }
    }

    /// The characters QueryGate puts before the user's text; the server's error positions count them.
    static let copyPrefix = "COPY (\n"

    static func drainThroughCopy(_ statement: SQLScript.Statement, on connection: LibPQConnection, into collector: ResultCollector,
                                 watchdog: Watchdog) -> CopyOutcome {
        let pointer = connection.pointer
        let noticesBefore = connection.notices.count
        guard let prepared = PQprepare(pointer, "", statement.text, 0, nil) else { return .finished(ExecutionFailure(message: connection.connectionError)) }
        defer { PQclear(prepared) }
        guard PQresultStatus(prepared) == PGRES_COMMAND_OK else {
            let failure = LibPQConnection.failure(from: prepared)
            return .finished(failure.position.map { failure.moved(to: $0 + statement.offset) } ?? failure)
        }
        guard let description = PQdescribePrepared(pointer, "") else { return .finished(ExecutionFailure(message: connection.connectionError)) }
        defer { PQclear(description) }
        guard PQresultStatus(description) == PGRES_COMMAND_OK else { return .finished(LibPQConnection.failure(from: description)) }
        // The text is parsed again by whatever runs it next: its parse's notices (a name truncated, say) are that one's.
        connection.dropNotices(after: noticesBefore)
        guard PQnfields(description) > 0, PQnparams(description) == 0 else { return .notAQuery }
        guard !watchdog.isTaskCancelled else { return .finished(.cancelled) }

        let copy = copyPrefix + statement.text + "\n) TO STDOUT WITH (FORMAT csv)"
        guard PQsendQueryParams(pointer, copy, 0, nil, nil, nil, nil, 0) == 1 else { return .finished(ExecutionFailure(message: connection.connectionError)) }
        var failure: ExecutionFailure? = nil
        var rows = 0
        while let result = PQgetResult(pointer) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_COPY_OUT:
                do {
                    try collector.begin(columns: columns(of: description))
                } catch {
                    failure = failure ?? ExecutionFailure(message: "the result could not be written: \(error)")
                    watchdog.fire()
                }
                rows = readCopyData(on: connection, into: collector, failure: &failure, watchdog: watchdog)
            case PGRES_COMMAND_OK:
                collector.end(command: "SELECT \(rows)", rowsAffected: nil, returnedRows: true)
            default:
                let error = LibPQConnection.failure(from: result)
                // A position inside QueryGate's own wrapping is nobody's to point at.
                failure = failure ?? error.position.map { position in
                    let inText = position - copyPrefix.count
                    return error.moved(to: inText > 0 ? inText + statement.offset : nil)
                } ?? error
            }
        }
        return .finished(failure)
    }

    /// Reads the COPY's lines until its end; returns how many rows came. A line that cannot be written stops the
    /// writing (the statement is cancelled), the rest is read and dropped, as libpq requires.
    private static func readCopyData(on connection: LibPQConnection, into collector: ResultCollector, failure: inout ExecutionFailure?,
                                     watchdog: Watchdog) -> Int {
        var rows = 0
        var buffer: UnsafeMutablePointer<CChar>? = nil
        while true {
            let length = PQgetCopyData(connection.pointer, &buffer, 0)
            guard length > 0, let line = buffer else { break }
            defer { PQfreemem(line) }
            rows += 1
            guard failure == nil else { continue }
            do {
                try collector.copiedRow(UnsafeRawBufferPointer(start: line, count: Int(length)))
            } catch {
                failure = ExecutionFailure(message: "the result could not be written: \(error)")
                watchdog.fire()
            }
        }
        return rows
    }
}
