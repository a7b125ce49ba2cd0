/// What running a request produced, kept in `query_requests.result_summary` and shown in Slack.
public struct ExecutionResult: Sendable, Codable, Equatable {
    public struct Column: Sendable, Codable, Equatable {
        public let name: String
        public let type: String

        public init(name: String, type: String) {
            self.name = name
            self.type = type
        }
    }

    /// One statement of the request: its command tag (`SELECT 3`, `UPDATE 12`) and, if it returned rows, how many.
    public struct Statement: Sendable, Codable, Equatable {
        public let command: String
        public let rowsAffected: Int?
        public let rowsReturned: Int?

        public init(command: String, rowsAffected: Int?, rowsReturned: Int?) {
            self.command = command
            self.rowsAffected = rowsAffected
            self.rowsReturned = rowsReturned
        }
    }

    /// The first rows of the last statement that returned rows, as the database rendered them (nil is NULL).
    public struct Preview: Sendable, Codable, Equatable {
        public let columns: [Column]
        public let rows: [[String?]]
        /// Rows the statement returned; beyond `rowsKept` they were counted but not kept (the row or byte cap).
        public let totalRows: Int
        public let rowsKept: Int

        public init(columns: [Column], rows: [[String?]], totalRows: Int, rowsKept: Int) {
            self.columns = columns
            self.rows = rows
            self.totalRows = totalRows
            self.rowsKept = rowsKept
        }

        public var isTruncated: Bool { rowsKept < totalRows }
    }

    public let statements: [Statement]
    public let preview: Preview?
    public let notices: [String]
    public let milliseconds: Int
    /// Size of the full export (CSV), when there is one.
    public let exportBytes: Int?

    public init(statements: [Statement], preview: Preview?, notices: [String], milliseconds: Int, exportBytes: Int?) {
        self.statements = statements
        self.preview = preview
        self.notices = notices
        self.milliseconds = milliseconds
        self.exportBytes = exportBytes
    }
}

/// Why a request did not complete: the database's own words, with its SQLSTATE and where in the query it
/// points, when it says.
public struct ExecutionFailure: Error, Sendable, Codable, Equatable, CustomStringConvertible {
    public let message: String
    public let sqlState: String?
    /// 1-based character offset into the request's text.
    public let position: Int?
    public let detail: String?
    public let hint: String?
    public let milliseconds: Int?

    public init(message: String, sqlState: String? = nil, position: Int? = nil, detail: String? = nil, hint: String? = nil, milliseconds: Int? = nil) {
        self.message = message
        self.sqlState = sqlState
        self.position = position
        self.detail = detail
        self.hint = hint
        self.milliseconds = milliseconds
    }

    public var description: String { message + (sqlState.map { " (SQLSTATE \($0))" } ?? "") }

    /// What a request still `executing` after its worker vanished becomes: it is never re-run by itself.
    public static let interrupted = ExecutionFailure(
        message: "interrupted: the worker running it stopped before it finished; it may or may not have been applied. "
            + "Check the target before asking again.")
}

extension ExecutionFailure {
    /// A run that QueryGate's own time limit ended, said plainly: which setting, its value, what became of the
    /// work. The database's own words ("canceling statement due to statement timeout") go to the detail.
    public static func timedOut(_ failure: ExecutionFailure, limit: Duration, consequence: String, milliseconds: Int?) -> ExecutionFailure {
        let said = "the database said: \(failure.message)"
        return ExecutionFailure(
            message: "QueryGate's time limit ended it: it ran longer than \(ExecutionLimits.statementTimeoutSetting) "
                + "(\(ExecutionLimits.describe(limit))), so \(consequence)",
            sqlState: failure.sqlState, position: failure.position, detail: failure.detail.map { "\($0)\n\(said)" } ?? said,
            hint: "Narrow the query (a WHERE on an indexed column, a LIMIT), or ask an admin whether the limit fits this work.",
            milliseconds: milliseconds)
    }
}

/// Bounds on what one execution may take, configurable per deployment.
public struct ExecutionLimits: Sendable, Equatable {
    /// Enforced by the server (`statement_timeout`), which cancels the statement itself.
    public var statementTimeout: Duration
    /// Rows kept for the preview and the export; more are counted, not kept.
    public var maxRows: Int
    /// Bytes of values kept; more are counted, not kept.
    public var maxResultBytes: Int
    /// Rows shown in the Slack preview.
    public var previewRows: Int

    public init(statementTimeout: Duration = .seconds(60), maxRows: Int = 100_000, maxResultBytes: Int = 64 * 1024 * 1024, previewRows: Int = 20) {
        self.statementTimeout = statementTimeout
        self.maxRows = maxRows
        self.maxResultBytes = maxResultBytes
        self.previewRows = previewRows
    }

    /// The setting `statementTimeout` is read from, named in the message of a request it ended.
    public static let statementTimeoutSetting = "QUERYGATE_STATEMENT_TIMEOUT"

    /// A limit as people write it: "500 ms", "60 s", "17 min".
    public static func describe(_ limit: Duration) -> String {
        let milliseconds = Int(limit / .milliseconds(1))
        if milliseconds < 1000 || milliseconds % 1000 != 0 { return "\(milliseconds) ms" }
        let seconds = milliseconds / 1000
        if seconds < 60 || seconds % 60 != 0 { return "\(seconds) s" }
        return seconds % 3600 == 0 ? "\(seconds / 3600) h" : "\(seconds / 60) min"
    }
}

/// How an execution ended, as stored in `query_requests.result_summary`.
public enum ExecutionOutcome: Sendable, Codable, Equatable {
    case completed(ExecutionResult)
    case failed(ExecutionFailure)
}

/// The file formats a full result is uploaded in: CSV for PostgreSQL, JSON Lines for MongoDB (and CSV too when
/// its documents are flat).
public enum ExportFormat: String, Sendable, CaseIterable {
    case csv, jsonl

    public var label: String {
        switch self {
        case .csv: "CSV"
        case .jsonl: "JSON Lines"
        }
    }
}

extension DatabaseType {
    /// The format a full result of this database type is exported in first.
    public var exportFormat: ExportFormat {
        switch self {
        case .postgresql: .csv
        case .mongodb: .jsonl
        }
    }
}
