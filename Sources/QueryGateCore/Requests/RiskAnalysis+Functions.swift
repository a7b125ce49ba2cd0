/// Functions that act outside the query's own rows, which a read-only transaction does not stop (or which change
/// the transaction itself): other sessions, settings, the server's files and programs, other servers, and SQL
/// hidden in a string argument. A name counts wherever it appears, schema-qualified (`pg_catalog.set_config`),
/// quoted (`"set_config"`) or Unicode-escaped (`U&"\0073et_config"`): the lexer has decoded it already.
enum HazardousFunctions {
    struct Effect {
        let level: RiskAssessment.Level
        let description: String
    }

    private static let settings = Effect(level: .dangerous, description: "changes settings, including the transaction's read-only mode")
    private static let readsFiles = Effect(level: .dangerous, description: "reads files on the database server")
    private static let writesFiles = Effect(level: .dangerous, description: "writes files on the database server")
    private static let listsFiles = Effect(level: .dangerous, description: "lists or inspects files on the database server")
    private static let runsText = Effect(level: .dangerous, description: "runs the SQL in its text argument, which the analysis cannot read")
    private static let server = Effect(level: .dangerous, description: "acts on the database server itself")

    static let exact: [String: Effect] = [
        "SET_CONFIG": settings,
        "PG_TERMINATE_BACKEND": Effect(level: .dangerous, description: "terminates other sessions"),
        "PG_CANCEL_BACKEND": Effect(level: .dangerous, description: "cancels other sessions' queries"),
        "PG_RELOAD_CONF": Effect(level: .dangerous, description: "reloads the server configuration"),
        "PG_ROTATE_LOGFILE": server, "PG_SWITCH_WAL": server, "PG_PROMOTE": server, "PG_CREATE_RESTORE_POINT": server,
        "PG_START_BACKUP": server, "PG_STOP_BACKUP": server, "PG_LOG_BACKEND_MEMORY_CONTEXTS": server,
        "PG_IMPORT_SYSTEM_COLLATIONS": server,
        "PG_READ_FILE": readsFiles, "PG_READ_BINARY_FILE": readsFiles, "LO_IMPORT": readsFiles,
        "PG_STAT_FILE": listsFiles,
        "LO_EXPORT": writesFiles,
        "QUERY_TO_XML": runsText, "QUERY_TO_XMLSCHEMA": runsText, "QUERY_TO_XML_AND_XMLSCHEMA": runsText,
        "TS_STAT": runsText, "TS_REWRITE": runsText,
        "NEXTVAL": Effect(level: .write, description: "changes a sequence (never rolled back)"),
        "SETVAL": Effect(level: .write, description: "changes a sequence (never rolled back)"),
        "PG_NOTIFY": Effect(level: .write, description: "notifies other sessions"),
    ]

    /// Families of functions, by the start of their names.
    static let prefixes: [(String, Effect)] = [
        ("DBLINK", Effect(level: .dangerous, description: "connects to another database and may run statements there")),
        ("PG_LS_", listsFiles),
        ("PG_FILE_", Effect(level: .dangerous, description: "writes, renames or deletes files on the database server (adminpack)")),
        ("PG_LOGDIR_LS", listsFiles),
        ("LO_", Effect(level: .dangerous, description: "works on large objects, which can be copied to and from the server's files")),
        ("PG_BACKUP_", server), ("PG_WAL_REPLAY_", server), ("PG_STAT_RESET", server),
        ("PG_CREATE_", server), ("PG_DROP_REPLICATION", server), ("PG_COPY_", server), ("PG_REPLICATION_", server),
        ("PG_LOGICAL_", server),
        ("PG_ADVISORY_", Effect(level: .write, description: "takes an advisory lock that other sessions wait for")),
        ("PG_TRY_ADVISORY_", Effect(level: .write, description: "takes an advisory lock that other sessions wait for")),
    ]

    /// The hazardous functions among `names` (upper-cased), in a stable order.
    static func found(in names: Set<String>) -> [(String, Effect)] {
        names.sorted().compactMap { name in
            if let effect = exact[name] { return (name, effect) }
            if let (_, effect) = prefixes.first(where: { name.hasPrefix($0.0) }) { return (name, effect) }
            return nil
        }
    }
}

/// `SET` and `RESET`: which settings matter to QueryGate's own guarantees.
enum SessionSettings {
    /// Settings whose change undoes what QueryGate pins for a request, or changes how the server reads the text.
    static let pinned: [String: String] = [
        "TRANSACTION_READ_ONLY": "changes the transaction's read-only mode",
        "DEFAULT_TRANSACTION_READ_ONLY": "changes the read-only mode of the transactions that follow",
        "TRANSACTION_ISOLATION": "changes the transaction's isolation", "DEFAULT_TRANSACTION_ISOLATION": "changes the isolation of the transactions that follow",
        "TRANSACTION_DEFERRABLE": "changes the transaction's characteristics", "DEFAULT_TRANSACTION_DEFERRABLE": "changes the transactions' characteristics",
        "STATEMENT_TIMEOUT": "lifts QueryGate's time limit", "ROLE": "changes the role the session runs as",
        "SESSION_AUTHORIZATION": "changes the role the session runs as",
        "STANDARD_CONFORMING_STRINGS": "changes how the server reads quotes, which the risk analysis relies on",
        "BACKSLASH_QUOTE": "changes how the server reads quotes, which the risk analysis relies on",
        "SESSION_REPLICATION_ROLE": "turns off triggers and foreign-key checks",
    ]

    static func assess(_ tokens: ArraySlice<SQLToken>) -> (RiskAssessment.Level, [String]) {
        let first = tokens.first?.word ?? ""
        var rest = tokens.dropFirst()
        if first == "SET", let scope = rest.first?.word, scope == "SESSION" || scope == "LOCAL" {
            rest = rest.dropFirst()
        }
        let setting = rest.first?.name ?? ""
        let next = rest.dropFirst().first?.name ?? ""
        if first == "RESET" {
            return (.dangerous, ["RESET \(setting == "ALL" ? "ALL restores every setting" : "restores a setting"), including those QueryGate pins for the request (read-only mode, time limit)"])
        }
        switch (setting, next) {
        case ("TRANSACTION", _), ("CHARACTERISTICS", _):
            return (.dangerous, ["SET \(setting) changes the transaction's characteristics, such as its read-only mode"])
        case ("AUTHORIZATION", _), ("ROLE", _):
            return (.dangerous, ["SET \(setting) changes the role the session runs as"])
        default:
            if let effect = pinned[setting] { return (.dangerous, ["SET \(setting.lowercased()) \(effect)"]) }
            let name = setting.isEmpty ? "a setting" : setting.lowercased()
            return (.readOnly, ["SET \(name) changes a session setting for the rest of the request"])
        }
    }
}
