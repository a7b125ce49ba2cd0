import CLibMongoc
import Foundation
import QueryGateCore

/// One execution on one client, on a pool thread: the statements in order, each as one command, stopping at the
/// first error.
struct MongoRun {
    let client: OpaquePointer
    let job: MongoEngine.Job
    let limits: ExecutionLimits
    /// Set when the execution's task is cancelled: no statement starts after it.
    let cancellation: MongoCancellation

    func run(_ statements: [MongoStatement]) -> Result<ExecutionResult, ExecutionFailure> {
        let started = ContinuousClock.now
        func elapsed() -> Int { Int(started.duration(to: .now) / .milliseconds(1)) }
        let collector = DocumentCollector(limits: limits, exportURL: job.exportURL, csvURL: job.csvExportURL)
        let database = mongoc_client_get_database(client, job.database)!
        defer { mongoc_database_destroy(database) }
        let options = MongoCommandOptions(maxTimeMS: Int(limits.statementTimeout / .milliseconds(1)), batchSize: MongoEngine.batchSize)

        for (index, statement) in statements.enumerated() {
            if cancellation.isCancelled {
                let applied = statements[..<index].filter { !$0.isReadOnly }.count
                guard applied > 0 else { return .failure(.cancelled) }
                return .failure(ExecutionFailure(
                    message: "cancelled: QueryGate stopped the script before statement \(index + 1)",
                    detail: "the \(applied) write statement(s) before it were applied: a MongoDB script is not one transaction",
                    milliseconds: elapsed()))
            }
            do {
                try run(statement.command(options: options), of: statement, on: database, into: collector)
            } catch {
                var message = error.message
                if statements.count > 1 {
                    message = "statement \(index + 1) (line \(statement.line)), \(statement.operation.methodName) on \(statement.collection): " + message
                }
                let applied = statements[..<index].filter { !$0.isReadOnly }.count
                let before = applied > 0 ? "the \(applied) write statement(s) before it were applied: a MongoDB script is not one transaction" : nil
                let failure = ExecutionFailure(message: message, sqlState: error.code.map(String.init), detail: before, milliseconds: elapsed())
                // 50 is MaxTimeMSExpired: the server stopped the command at the `maxTimeMS` QueryGate gave it.
                guard error.code == 50 else { return .failure(failure) }
                let statementPart = statements.count > 1 ? "statement \(index + 1) (line \(statement.line))" : "the statement"
                return .failure(.timedOut(failure, limit: limits.statementTimeout,
                                          consequence: "the server stopped \(statementPart) (maxTimeMS)"
                                              + (statement.isReadOnly ? "" : "; a write it had begun may be partly applied"),
                                          milliseconds: elapsed()))
            }
        }
        do {
            return .success(try collector.finish(milliseconds: elapsed()))
        } catch {
            return .failure(ExecutionFailure(message: "could not write the result: \(error)", milliseconds: elapsed()))
        }
    }

    private func run(_ command: MongoCommand, of statement: MongoStatement, on database: OpaquePointer, into collector: DocumentCollector) throws(MongoError) {
        let what = "\(statement.operation.methodName) on \(statement.collection)"
        switch command.reply {
        case .cursor:
            try collector.startStatement()
            try readCursor(command, writes: !statement.isReadOnly, on: database, into: collector)
            collector.end(command: what, rowsAffected: nil, returnedRows: true)
        case .count(let field):
            let reply = try runCommand(command, on: database, write: false)
            try collector.startStatement()
            try collector.add(.document(["count": reply[field] ?? .int32(0)]))
            collector.end(command: what, rowsAffected: nil, returnedRows: true)
        case .distinct(let field):
            let reply = try runCommand(command, on: database, write: false)
            try collector.startStatement()
            if case .array(let values)? = reply[field] {
                for value in values { try collector.add(value) }
            }
            collector.end(command: what, rowsAffected: nil, returnedRows: true)
        case .write(let kind):
            let reply = try runCommand(command, on: database, write: true)
            try Self.checkWriteErrors(reply)
            let n = Int(reply["n"]?.exactInteger ?? 0)
            switch kind {
            case .insert:
                collector.end(command: "\(what): \(n) inserted", rowsAffected: n, returnedRows: false)
            case .update:
                let modified = Int(reply["nModified"]?.exactInteger ?? 0)
                var upserted = 0
                if case .array(let ids)? = reply["upserted"] { upserted = ids.count }
                collector.end(command: "\(what): \(n - upserted) matched, \(modified) modified, \(upserted) upserted",
                              rowsAffected: modified + upserted, returnedRows: false)
            case .delete:
                collector.end(command: "\(what): \(n) deleted", rowsAffected: n, returnedRows: false)
            }
        }
    }

    /// Runs a command whose whole answer is its reply.
    private func runCommand(_ command: MongoCommand, on database: OpaquePointer, write: Bool) throws(MongoError) -> MongoDocument {
        let body = BSONDocument(command.document)
        let reply = BSONDocument()
        var error = bson_error_t()
        let ok = withExtendedLifetime((body, reply)) {
            write
                ? mongoc_database_write_command_with_opts(database, body.pointer, nil, reply.pointer, &error)
                : mongoc_database_read_command_with_opts(database, body.pointer, nil, nil, reply.pointer, &error)
        }
        guard ok else { throw MongoError(error, reply: reply.document) }
        return reply.document
    }

    /// Runs a command that opens a cursor, and reads the cursor to its end (getMore as needed), in one session so
    /// that a real server accepts the getMores. An aggregation that writes (`$out`, `$merge`) goes to the primary
    /// with the write concern, as a write.
    private func readCursor(
        _ command: MongoCommand, writes: Bool, on database: OpaquePointer, into collector: DocumentCollector
    ) throws(MongoError) {
        var error = bson_error_t()
        guard let session = mongoc_client_start_session(client, nil, &error) else { throw MongoError(error, reply: nil) }
        defer { mongoc_client_session_destroy(session) }
        let options = BSONDocument()
        let body = BSONDocument(command.document)
        let reply = BSONDocument()
        // All three must outlive every C call below, the cursor's included.
        try withExtendedLifetime((options, body, reply)) { () throws(MongoError) in
            guard mongoc_client_session_append(session, options.pointer, &error) else { throw MongoError(error, reply: nil) }
            let ok = writes
                ? mongoc_database_read_write_command_with_opts(database, body.pointer, nil, options.pointer, reply.pointer, &error)
                : mongoc_database_read_command_with_opts(database, body.pointer, nil, options.pointer, reply.pointer, &error)
            guard ok else { throw MongoError(error, reply: reply.document) }
            // The cursor takes the reply over (and destroys it); `reply` only frees its memory afterwards.
            reply.handOver()
            let cursor = mongoc_cursor_new_from_command_reply_with_opts(client, reply.pointer, options.pointer)!
            defer { mongoc_cursor_destroy(cursor) }
            var next: OpaquePointer?
            while mongoc_cursor_next(cursor, &next), let document = next {
                try collector.add(.document(BSONDocument.read(document)))
            }
            var failure: OpaquePointer?
            if mongoc_cursor_error_document(cursor, &error, &failure) {
                throw MongoError(error, reply: failure.map(BSONDocument.read))
            }
        }
    }

    /// A write command succeeds as a command even when its writes fail: the failures are in its reply, and so is
    /// what it wrote before failing (an ordered insertMany stops at its first error; MongoDB keeps what preceded).
    private static func checkWriteErrors(_ reply: MongoDocument) throws(MongoError) {
        let written = Int(reply["n"]?.exactInteger ?? 0)
        if case .array(let errors)? = reply["writeErrors"], case .document(let first)? = errors.first {
            var text = "write error"
            if case .string(let message)? = first["errmsg"] { text = message }
            if errors.count > 1 { text += " (and \(errors.count - 1) more)" }
            if written > 0 { text += "; \(written) document(s) of this statement were written before it, and stay" }
            throw MongoError(message: text, code: first["code"]?.exactInteger.map(Int.init))
        }
        if case .document(let concern)? = reply["writeConcernError"] {
            var text = "write concern error"
            if case .string(let message)? = concern["errmsg"] { text = message }
            throw MongoError(message: "the write was applied (\(written) document(s)), but its write concern failed: \(text)",
                             code: concern["code"]?.exactInteger.map(Int.init))
        }
    }
}

/// A failed command: the driver's or server's message, and the server's code when there is one.
struct MongoError: Error {
    let message: String
    let code: Int?

    init(message: String, code: Int?) {
        self.message = message
        self.code = code
    }

    init(_ error: bson_error_t, reply: MongoDocument?) {
        message = MongoDriver.message(of: error)
        code = reply?["code"]?.exactInteger.map(Int.init) ?? (error.domain == MONGOC_ERROR_SERVER.rawValue ? Int(error.code) : nil)
    }
}

extension DocumentCollector {
    // The collector's file errors become MongoErrors, so that one typed error runs through the statement loop.
    func startStatement() throws(MongoError) {
        do { try begin() } catch { throw MongoError(message: "could not write the result: \(error)", code: nil) }
    }

    func add(_ value: MongoValue) throws(MongoError) {
        do { try document(value) } catch { throw MongoError(message: "could not write the result: \(error)", code: nil) }
    }
}

/// Whether the task running a MongoDB execution was cancelled, readable from the pool thread that runs it.
final class MongoCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}
