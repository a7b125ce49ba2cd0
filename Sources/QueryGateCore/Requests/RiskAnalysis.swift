/// What a request may do to its database, shown to approvers before they decide.
///
/// It is advice, not enforcement: QueryGate does not parse SQL fully and does not pretend to. It reads the
/// keywords of each statement (outside strings and comments) and is conservative: what it does not recognise
/// counts as a write. The enforcement is the database's: a request classified read-only runs in a
/// `BEGIN READ ONLY` transaction, which refuses any write that slipped past this analysis.
public struct RiskAssessment: Sendable, Equatable {
    public enum Level: Int, Sendable, Comparable, Codable, CaseIterable {
        case readOnly = 0, write, ddl, dangerous

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        public var label: String {
            switch self {
            case .readOnly: "read-only"
            case .write: "write"
            case .ddl: "schema change (DDL)"
            case .dangerous: "dangerous"
            }
        }
    }

    public let level: Level
    /// One sentence per thing an approver should look at twice.
    public let warnings: [String]

    public init(level: Level, warnings: [String]) {
        self.level = level
        self.warnings = warnings
    }

    public var isReadOnly: Bool { level == .readOnly }
}

public enum RiskAnalysis {
    /// Classifies a PostgreSQL query or script.
    public static func assess(sql: String) -> RiskAssessment {
        let statements = SQLScript.statements(in: sql)
        guard !statements.isEmpty else { return RiskAssessment(level: .write, warnings: ["no statement could be recognised"]) }
        var level = RiskAssessment.Level.readOnly
        var warnings: [String] = []
        for (index, statement) in statements.enumerated() {
            let (statementLevel, statementWarnings) = assess(words: SQLScript.words(in: statement))
            level = max(level, statementLevel)
            let prefix = statements.count > 1 ? "statement \(index + 1): " : ""
            warnings.append(contentsOf: statementWarnings.map { prefix + $0 })
        }
        return RiskAssessment(level: level, warnings: warnings)
    }

    /// Functions that act outside the query's own rows: other sessions, the server's files, other servers.
    static let hazardousFunctions: [String: String] = [
        "PG_TERMINATE_BACKEND": "terminates other sessions", "PG_CANCEL_BACKEND": "cancels other sessions' queries",
        "PG_RELOAD_CONF": "reloads the server configuration", "SET_CONFIG": "changes server settings",
        "PG_READ_FILE": "reads files on the database server", "PG_READ_BINARY_FILE": "reads files on the database server",
        "LO_IMPORT": "reads files on the database server", "LO_EXPORT": "writes files on the database server",
        "DBLINK": "connects to another database", "DBLINK_EXEC": "runs statements on another database",
    ]

    private static func assess(words: [String]) -> (RiskAssessment.Level, [String]) {
        guard let first = words.first else { return (.write, ["a statement could not be recognised"]) }
        var level: RiskAssessment.Level
        var warnings: [String] = []
        let has = { (word: String) in words.contains(word) }

        switch first {
        case "SELECT", "VALUES", "TABLE", "SHOW":
            level = .readOnly
            if has("INTO") && first == "SELECT" { level = .ddl; warnings.append("SELECT … INTO creates a table") }
            if has("FOR") && (has("UPDATE") || has("SHARE")) { level = .write; warnings.append("locks the rows it reads (FOR UPDATE/SHARE)") }
        case "WITH":
            let modifying = ["INSERT", "UPDATE", "DELETE", "MERGE"].filter(has)
            level = modifying.isEmpty ? .readOnly : .write
            if !modifying.isEmpty { warnings.append("the WITH query modifies data (\(modifying.joined(separator: ", ")))") }
        case "EXPLAIN":
            if has("ANALYZE") || has("ANALYSE") {
                let inner = Array(words.drop { $0 != "SELECT" && $0 != "INSERT" && $0 != "UPDATE" && $0 != "DELETE" && $0 != "WITH" && $0 != "MERGE" })
                let (innerLevel, innerWarnings) = assess(words: inner)
                level = innerLevel
                warnings = innerWarnings + (innerLevel > .readOnly ? ["EXPLAIN ANALYZE really runs the statement"] : [])
            } else {
                level = .readOnly
            }
        case "INSERT", "MERGE":
            level = .write
        case "UPDATE", "DELETE":
            level = .write
            if !has("WHERE") {
                level = .dangerous
                warnings.append("\(first) without WHERE changes every row of the table")
            }
        case "COPY":
            level = has("FROM") ? .write : .readOnly
            if has("PROGRAM") { level = .dangerous; warnings.append("COPY … PROGRAM runs a shell command on the database server") }
        case "CREATE":
            level = .ddl
            if has("USER") || has("ROLE") { level = .dangerous; warnings.append("creates a database role") }
            if has("FUNCTION") || has("PROCEDURE") || has("TRIGGER") { warnings.append("creates code that runs inside the database") }
        case "ALTER":
            level = .dangerous
            warnings.append("ALTER changes the schema or settings of existing objects")
        case "DROP":
            level = .dangerous
            warnings.append("DROP deletes objects and their data")
        case "TRUNCATE":
            level = .dangerous
            warnings.append("TRUNCATE removes every row of the table")
        case "GRANT", "REVOKE":
            level = .dangerous
            warnings.append("\(first) changes who may do what")
        case "COMMENT", "VACUUM", "ANALYZE", "ANALYSE", "REINDEX", "CLUSTER", "REFRESH":
            level = .ddl
        case "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "ABORT":
            level = .dangerous
            warnings.append("\(first) inside a request breaks its all-or-nothing transaction")
        case "SET", "RESET":
            level = .readOnly
            if has("ROLE") || has("AUTHORIZATION") { level = .dangerous; warnings.append("changes the role the session runs as") }
        case "DO", "CALL", "EXECUTE":
            level = .write
            warnings.append("runs procedural code whose effects cannot be read from the statement")
        default:
            level = .write
            warnings.append("\(first) is not a statement QueryGate recognises; treated as a write")
        }

        for (function, effect) in hazardousFunctions where has(function) {
            level = max(level, .dangerous)
            warnings.append("\(function.lowercased())() \(effect)")
        }
        if level == .readOnly, has("NEXTVAL") || has("SETVAL") {
            level = .write
            warnings.append("nextval()/setval() change a sequence")
        }
        return (level, warnings)
    }
}
