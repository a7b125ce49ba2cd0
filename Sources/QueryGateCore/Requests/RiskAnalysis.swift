/// What a request may do to its database, shown to approvers before they decide.
///
/// It is advice, not enforcement: QueryGate does not parse SQL fully and does not pretend to. It reads the
/// tokens of each statement (strings and comments left out, with PostgreSQL's own lexical rules) and is
/// conservative: what it does not recognise counts as a write. The enforcement is the database's: a request
/// classified read-only runs statement by statement in a read-only transaction whose snapshot is taken before
/// the request's first statement, and which is always rolled back (see `PostgresEngine`).
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
        assess(statements: SQLScript.parse(sql))
    }

    /// Classifies a script already split into statements (`SQLScript.parse`), for a caller that needs both.
    public static func assess(statements: [SQLScript.Statement]) -> RiskAssessment {
        guard !statements.isEmpty else { return RiskAssessment(level: .write, warnings: ["no statement could be recognised"]) }
        var level = RiskAssessment.Level.readOnly
        var warnings: [String] = []
        for (index, statement) in statements.enumerated() {
            let (statementLevel, statementWarnings) = assess(tokens: statement.tokens[...])
            level = max(level, statementLevel)
            let prefix = statements.count > 1 ? "statement \(index + 1): " : ""
            warnings.append(contentsOf: statementWarnings.map { prefix + $0 })
        }
        return RiskAssessment(level: level, warnings: warnings)
    }

    private static func assess(tokens: ArraySlice<SQLToken>) -> (RiskAssessment.Level, [String]) {
        let words = tokens.compactMap(\.word)
        guard let first = tokens.first?.word else { return (.write, ["a statement could not be recognised"]) }
        var level: RiskAssessment.Level
        var warnings: [String] = []
        let has = { (word: String) in words.contains(word) }

        switch first {
        case "SELECT", "VALUES", "TABLE", "SHOW", "WITH":
            level = .readOnly
            let modifying = ["INSERT", "UPDATE", "DELETE", "MERGE"].filter(has)
            if has("FOR") && (has("UPDATE") || has("SHARE")) && first != "WITH" {
                level = .write
                warnings.append("locks the rows it reads (FOR UPDATE/SHARE)")
            } else if !modifying.isEmpty {
                level = .write
                warnings.append("the query modifies data (\(modifying.joined(separator: ", ")))")
            }
            if has("INTO") && modifying.isEmpty && (first == "SELECT" || first == "WITH") { level = max(level, .ddl); warnings.append("SELECT … INTO creates a table") }
        case "EXPLAIN":
            level = .readOnly
            if has("ANALYZE") || has("ANALYSE") {
                let inner = explained(tokens)
                let (innerLevel, innerWarnings) = inner.isEmpty ? (.write, ["the explained statement could not be recognised"]) : assess(tokens: inner)
                level = innerLevel
                warnings = innerWarnings + (innerLevel > .readOnly ? ["EXPLAIN ANALYZE really runs the statement"] : [])
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
            (level, warnings) = copy(tokens)
        case "CREATE":
            level = .ddl
            if has("USER") || has("ROLE") { level = .dangerous; warnings.append("creates a database role") }
            if has("FUNCTION") || has("PROCEDURE") || has("TRIGGER") || has("RULE") { warnings.append("creates code that runs inside the database") }
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
            warnings.append("\(first) inside a request ends or changes QueryGate's transaction: what follows could escape its read-only mode and its all-or-nothing rollback")
        case "PREPARE" where words.dropFirst().first == "TRANSACTION":
            level = .dangerous
            warnings.append("PREPARE TRANSACTION ends QueryGate's transaction and leaves it prepared on the server")
        case "SET", "RESET":
            (level, warnings) = SessionSettings.assess(tokens)
        case "DISCARD":
            level = .dangerous
            warnings.append("DISCARD drops session state (temporary tables, plans, settings) in the middle of the request")
        case "LOAD":
            level = .dangerous
            warnings.append("LOAD loads a shared library into the database server")
        case "DO", "CALL", "EXECUTE":
            level = .write
            warnings.append("runs procedural code whose effects cannot be read from the statement")
        default:
            level = .write
            warnings.append("\(first) is not a statement QueryGate recognises; treated as a write")
        }

        let names = Set(tokens.compactMap(\.name))
        for (function, effect) in HazardousFunctions.found(in: names) {
            level = max(level, effect.level)
            warnings.append("\(function.lowercased())() \(effect.description)")
        }
        return (level, warnings)
    }

    /// The statement an EXPLAIN explains: what follows its options (`ANALYZE`, `VERBOSE`, `(…)`).
    private static func explained(_ tokens: ArraySlice<SQLToken>) -> ArraySlice<SQLToken> {
        var rest = tokens.dropFirst()
        var depth = 0
        while let token = rest.first {
            switch token.kind {
            case .symbol("("): depth += 1
            case .symbol(")"): depth -= 1
            case .word(let word) where depth == 0:
                if !["ANALYZE", "ANALYSE", "VERBOSE"].contains(word) { return rest }
            default:
                if depth == 0 { return rest }
            }
            rest = rest.dropFirst()
        }
        return rest
    }

    /// `COPY … TO STDOUT` only reads (and the engine refuses it anyway), `COPY … FROM STDIN` writes; a file or a
    /// `PROGRAM` after the statement's own TO/FROM (not one inside a parenthesised query) reaches the server's
    /// files or shell.
    private static func copy(_ tokens: ArraySlice<SQLToken>) -> (RiskAssessment.Level, [String]) {
        var depth = 0
        var direction: String? = nil
        for token in tokens {
            switch token.kind {
            case .symbol("("): depth += 1
            case .symbol(")"): depth -= 1
            case .word(let word) where depth == 0 && direction == nil && (word == "TO" || word == "FROM"):
                direction = word
                continue
            default:
                break
            }
            guard let direction else { continue }
            switch (direction, token.word) {
            case ("TO", "STDOUT"): return (.readOnly, [])
            case ("FROM", "STDIN"): return (.write, [])
            case (_, "PROGRAM"): return (.dangerous, ["COPY … PROGRAM runs a shell command on the database server"])
            default:
                return (.dangerous, [direction == "TO" ? "COPY … TO a file writes a file on the database server"
                                                       : "COPY … FROM a file reads a file on the database server"])
            }
        }
        return (.write, ["COPY without TO or FROM could not be recognised; treated as a write"])
    }
}
