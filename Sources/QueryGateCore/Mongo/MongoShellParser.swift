/// Parses the subset of mongosh that QueryGate runs: `db.<collection>.<method>(...)`
/// statements whose arguments are literal values. Nothing is evaluated as JavaScript; the
/// script is tokenized and parsed by recursive descent into `MongoStatement`s.
public enum MongoShellParser {
    /// Longer scripts are refused before any parsing work, keeping time and memory bounded.
    public static let maximumScriptLength = 1_000_000

    /// Statements are separated by `;`, by line breaks, or both. Comments (`//`, `/* */`) and
    /// blank lines are ignored; a script with no statement at all is an error.
    public static func parse(_ script: String) throws(MongoParseError) -> [MongoStatement] {
        var parser = MongoStatementParser(tokens: try MongoTokenStream(try sourceText(script)))
        return try parser.parseScript()
    }

    /// Parses one value in mongosh or Extended JSON syntax, e.g. `{"_id": {"$oid": "..."}}`.
    public static func parseValue(_ text: String) throws(MongoParseError) -> MongoValue {
        var tokens = try MongoTokenStream(try sourceText(text))
        let value = try tokens.parseValue(depth: 0)
        guard tokens.current.kind == .endOfInput else {
            throw tokens.error("unexpected \(tokens.current.description) after the value")
        }
        return value
    }

    private static func sourceText(_ text: String) throws(MongoParseError) -> MongoSourceText {
        guard text.count <= maximumScriptLength else {
            let prefix = MongoSourceText(String(text.prefix(maximumScriptLength)))
            throw MongoParseError(
                "the script is longer than \(maximumScriptLength) characters", at: maximumScriptLength, in: prefix)
        }
        return MongoSourceText(text)
    }
}

/// The statement level of the grammar:
///
///     script     = { ";" } statement { separator statement } { ";" }
///     statement  = "db" target "(" arguments ")" { "." cursorMethod "(" arguments ")" }
///     target     = "." name { "." name } "." method
///                | "[" string "]" "." method
///                | ".getCollection(" string ")" "." method
private struct MongoStatementParser {
    var tokens: MongoTokenStream

    private var source: MongoSourceText { tokens.source }

    mutating func parseScript() throws(MongoParseError) -> [MongoStatement] {
        var statements: [MongoStatement] = []
        while true {
            while tokens.current.kind == .semicolon { try tokens.advance() }
            guard tokens.current.kind != .endOfInput else { break }
            statements.append(try parseStatement())
            let next = tokens.current
            guard next.kind == .semicolon || next.kind == .endOfInput || next.followsLineBreak else {
                throw tokens.error(
                    "unexpected \(next.description) after the end of the statement; put each statement on its own "
                        + "line or separate statements with ';'")
            }
        }
        guard !statements.isEmpty else { throw tokens.error("expected a statement such as db.orders.find({})") }
        return statements
    }

    private mutating func parseStatement() throws(MongoParseError) -> MongoStatement {
        let start = tokens.current.start
        switch tokens.current.kind {
        case .identifier("db"):
            try tokens.advance()
        case .identifier("function"):
            throw tokens.error(MongoTokenStream.javaScriptRefusal)
        default:
            throw tokens.error("expected a statement such as db.orders.find({}), found \(tokens.current.description)")
        }
        let (collection, methodToken) = try parseTarget()
        guard case .identifier(let name) = methodToken.kind, let method = MongoCollectionMethod(rawValue: name) else {
            throw tokens.error(Self.unsupportedMethodMessage(methodToken), at: methodToken.start)
        }
        let arguments = MongoCallArguments(
            callee: name, usage: method.usage, list: try tokens.parseArguments(depth: 0), source: source)
        var operation = try method.operation(arguments)
        try parseCursorMethods(after: method, operation: &operation)
        let range = start..<tokens.previousTokenEnd
        return MongoStatement(
            collection: collection, operation: operation, sourceRange: range, line: source.position(of: start).line,
            text: source.text(range))
    }

    private static func unsupportedMethodMessage(_ token: MongoToken) -> String {
        guard case .identifier(let name) = token.kind else { return "expected a method name" }
        if let reason = MongoCollectionMethod.refusals[name] { return "\(name)() is not allowed: \(reason)" }
        return "unknown method \(name)(); supported methods are \(MongoCollectionMethod.supportedList)"
    }

    // MARK: - Collection and method

    /// Everything between `db` and the method's `(`: the collection name and the method token.
    private mutating func parseTarget() throws(MongoParseError) -> (collection: String, method: MongoToken) {
        switch tokens.current.kind {
        case .leftBracket:
            try tokens.advance()
            guard case .string(let name) = tokens.current.kind else {
                throw tokens.error("expected a quoted collection name after 'db[', found \(tokens.current.description)")
            }
            try validateCollectionName(name, at: tokens.current.start)
            try tokens.advance()
            try tokens.expect(.rightBracket, "expected ']' after the collection name")
            return (name, try parseMethodName(after: name))
        case .dot:
            try tokens.advance()
        default:
            throw tokens.error("expected '.' after db, as in db.orders.find({}), found \(tokens.current.description)")
        }
        guard case .identifier(let first) = tokens.current.kind else {
            throw tokens.error("expected a collection name after 'db.', found \(tokens.current.description)")
        }
        let firstToken = tokens.current
        try tokens.advance()
        if tokens.current.kind == .leftParen {
            return try parseDatabaseMethod(first, at: firstToken.start)
        }
        // `db.orders.archive.find(...)` addresses the collection "orders.archive": name
        // segments continue until one is followed by `(`, which makes it the method.
        var segments = [first]
        while true {
            guard tokens.current.kind == .dot else {
                throw tokens.error(
                    "expected a method call such as db.\(segments.joined(separator: ".")).find({}), "
                        + "found \(tokens.current.description)")
            }
            try tokens.advance()
            guard case .identifier(let segment) = tokens.current.kind else {
                throw tokens.error("expected a method name after '.', found \(tokens.current.description)")
            }
            let segmentToken = tokens.current
            try tokens.advance()
            if tokens.current.kind == .leftParen {
                let collection = segments.joined(separator: ".")
                try validateCollectionName(collection, at: firstToken.start)
                return (collection, segmentToken)
            }
            if tokens.current.kind != .dot, MongoCollectionMethod(rawValue: segment) != nil {
                throw tokens.error("expected '(' to call \(segment), found \(tokens.current.description)")
            }
            segments.append(segment)
        }
    }

    /// `db.<name>(...)`: only `getCollection` is a way to a collection; known dangerous
    /// methods are refused with their reason.
    private mutating func parseDatabaseMethod(_ name: String, at offset: Int) throws(MongoParseError)
        -> (collection: String, method: MongoToken)
    {
        if let reason = MongoCollectionMethod.refusals[name] {
            throw tokens.error("db.\(name)() is not allowed: \(reason)", at: offset)
        }
        guard name == "getCollection" else {
            throw tokens.error(
                "db.\(name)() is not supported; write db.<collection>.<method>(...), as in db.orders.find({})",
                at: offset)
        }
        let arguments = MongoCallArguments(
            callee: "getCollection", usage: "db.getCollection(\"orders\").find({})",
            list: try tokens.parseArguments(depth: 0), source: source)
        let argument = try arguments.requireCount(1...1)[0]
        let collection = try arguments.string(argument)
        try validateCollectionName(collection, at: argument.offset)
        return (collection, try parseMethodName(after: collection))
    }

    /// `.method` after a bracketed or `getCollection` collection; leaves `(` as current.
    private mutating func parseMethodName(after collection: String) throws(MongoParseError) -> MongoToken {
        try tokens.expect(
            .dot, "expected a method call such as .find({}) after the collection \(MongoToken.quoted(collection))")
        guard case .identifier(let name) = tokens.current.kind else {
            throw tokens.error("expected a method name after '.', found \(tokens.current.description)")
        }
        let method = tokens.current
        try tokens.advance()
        guard tokens.current.kind == .leftParen else {
            throw tokens.error("expected '(' to call \(name), found \(tokens.current.description)")
        }
        return method
    }

    /// The server's rules for names a query may address; `system.*` collections hold users,
    /// roles and profiling data and are never a query's business.
    private func validateCollectionName(_ name: String, at offset: Int) throws(MongoParseError) {
        let problem: String? =
            if name.isEmpty { "the collection name is empty" } else if name.contains("$") {
                "collection names cannot contain '$'"
            } else if name.unicodeScalars.contains("\0") {
                "collection names cannot contain the NUL character"
            } else if name.hasPrefix("system.") {
                "system collections such as \(MongoToken.quoted(name)) cannot be queried"
            } else { nil }
        if let problem { throw tokens.error(problem, at: offset) }
    }

    // MARK: - Cursor methods

    private mutating func parseCursorMethods(after method: MongoCollectionMethod, operation: inout MongoOperation)
        throws(MongoParseError)
    {
        var applied = Set<MongoCursorMethod>()
        while tokens.current.kind == .dot {
            try tokens.advance()
            guard case .identifier(let name) = tokens.current.kind else {
                throw tokens.error(
                    "expected a cursor method such as .limit(10) after '.', found \(tokens.current.description)")
            }
            guard case .find(var find) = operation else {
                throw tokens.error(
                    "\(name)() cannot follow \(method.rawValue)(); "
                        + "only find() can be followed by .sort(), .limit() and .skip()")
            }
            guard let cursorMethod = MongoCursorMethod(rawValue: name) else {
                throw tokens.error(
                    "unknown cursor method \(name)(); find() can be followed by .sort(), .limit() and .skip()")
            }
            guard applied.insert(cursorMethod).inserted else {
                throw tokens.error("\(name)() is applied twice to the same find()")
            }
            try tokens.advance()
            guard tokens.current.kind == .leftParen else {
                throw tokens.error("expected '(' to call \(name), found \(tokens.current.description)")
            }
            let arguments = MongoCallArguments(
                callee: name, usage: cursorMethod.usage, list: try tokens.parseArguments(depth: 0), source: source)
            try cursorMethod.apply(arguments, to: &find)
            operation = .find(find)
        }
    }
}
