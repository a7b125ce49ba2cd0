import CLibPQ
import Foundation
import QueryGateCore

/// Where a target PostgreSQL database is, resolved from the environment when a request runs.
public struct PostgresTargetSettings: Sendable, Hashable {
    public let host: String
    public let port: Int
    public let user: String
    public let password: String?
    public let database: String

    public init(host: String, port: Int, user: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Reads `<prefix>_HOST`, `_PORT`, `_USER` and `_PASSWORD` (optional, as a server may trust the gateway).
    /// - Throws: `ExecutionFailure` naming the variable that is missing or wrong; it never echoes a value.
    public static func resolve(prefix: String, database: String, environment: [String: String]) throws(ExecutionFailure) -> PostgresTargetSettings {
        func value(_ suffix: String) -> String? {
            environment["\(prefix)_\(suffix)"].flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let host = value("HOST") else { throw ExecutionFailure(message: "\(prefix)_HOST is not set where QueryGate runs, so the target cannot be reached") }
        guard let user = value("USER") else { throw ExecutionFailure(message: "\(prefix)_USER is not set where QueryGate runs, so the target cannot be reached") }
        let port = value("PORT") ?? "5432"
        guard let number = Int(port), (1...65_535).contains(number) else {
            throw ExecutionFailure(message: "\(prefix)_PORT is not a port number")
        }
        return PostgresTargetSettings(host: host, port: number, user: user, password: value("PASSWORD"), database: database)
    }
}

/// One libpq connection. Its calls block, so it is used from the targets' thread pool, by one thread at a time
/// (the pool hands it to one execution at a time).
final class LibPQConnection: @unchecked Sendable {
    let pointer: OpaquePointer
    let settings: PostgresTargetSettings
    var lastUsed = ContinuousClock.now
    /// Notices (RAISE NOTICE, warnings) of the statement running now.
    fileprivate(set) var notices: [String] = []

    private init(pointer: OpaquePointer, settings: PostgresTargetSettings) {
        self.pointer = pointer
        self.settings = settings
    }

    /// Connects; blocks for at most 10 s.
    static func connect(_ settings: PostgresTargetSettings) throws(ExecutionFailure) -> LibPQConnection {
        let parameters: [(String, String)] = [
            ("host", settings.host), ("port", String(settings.port)), ("user", settings.user), ("dbname", settings.database),
            ("connect_timeout", "10"), ("application_name", "querygate"), ("client_encoding", "UTF8"),
        ] + (settings.password.map { [("password", $0)] } ?? [])
        var keywords = parameters.map { strdup($0.0) } + [nil]
        var values = parameters.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let pointer = keywords.withUnsafeMutableBufferPointer { keywordBuffer in
            values.withUnsafeMutableBufferPointer { valueBuffer in
                keywordBuffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: keywordBuffer.count) { k in
                    valueBuffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: valueBuffer.count) { v in
                        PQconnectdbParams(k, v, 0)
                    }
                }
            }
        }
        guard let pointer else { throw ExecutionFailure(message: "could not allocate a connection to \(settings.database)") }
        guard PQstatus(pointer) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(pointer)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(pointer)
            throw ExecutionFailure(message: "could not connect to \(settings.database) on \(settings.host):\(settings.port): \(message)")
        }
        let connection = LibPQConnection(pointer: pointer, settings: settings)
        PQsetNoticeReceiver(pointer, { context, result in
            guard let context, let result, let text = PQresultErrorMessage(result) else { return }
            let connection = Unmanaged<LibPQConnection>.fromOpaque(context).takeUnretainedValue()
            connection.notices.append(String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines))
        }, Unmanaged.passUnretained(connection).toOpaque())
        return connection
    }

    var isHealthy: Bool {
        PQstatus(pointer) == CONNECTION_OK && PQtransactionStatus(pointer) == PQTRANS_IDLE
    }

    func clearNotices() { notices = [] }

    /// Forgets the notices that came after the first `count`: those of a statement parsed again right after.
    func dropNotices(after count: Int) { notices.removeSubrange(min(count, notices.count)...) }

    /// Makes the session as a new one would be, so that nothing one request set (`search_path`, `TimeZone`, a
    /// role, temporary tables, prepared statements, advisory locks, `LISTEN`s) reaches the next; and pins
    /// `standard_conforming_strings` on, so that the server reads quotes as the risk analysis does. It is also the
    /// check that the connection is alive (`PQstatus` says `CONNECTION_OK` after the server closed the socket;
    /// only a command finds out). `DISCARD ALL` cannot run inside a transaction, so it is its own command.
    func resetSession() -> ExecutionFailure? {
        command("DISCARD ALL") ?? command("SET standard_conforming_strings = on")
    }

    /// Runs a statement of our own (BEGIN, SET LOCAL, COMMIT…) and returns its error, if any.
    @discardableResult
    func command(_ sql: String) -> ExecutionFailure? {
        guard let result = PQexec(pointer, sql) else { return ExecutionFailure(message: connectionError) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { return Self.failure(from: result) }
        return nil
    }

    var connectionError: String {
        String(cString: PQerrorMessage(pointer)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The database's error, with its SQLSTATE, position, detail and hint.
    static func failure(from result: OpaquePointer) -> ExecutionFailure {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        return ExecutionFailure(
            message: field("M") ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines),
            sqlState: field("C"), position: field("P").flatMap(Int.init), detail: field("D"), hint: field("H"))
    }

    func close() {
        PQfinish(pointer)
    }
}
