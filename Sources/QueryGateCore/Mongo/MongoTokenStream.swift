/// The parser's view of the token sequence: one current token plus cheap lookahead.
///
/// It is a value type, so lookahead is just a copy that is advanced and thrown away.
struct MongoTokenStream: Sendable {
    /// Deepest nesting of documents, arrays and helper calls. It matches the server's own
    /// 100-level limit on BSON nesting, and keeps the recursive-descent parser far from the
    /// end of the stack whatever the input.
    static let maximumDepth = 100

    private var lexer: MongoShellLexer
    private(set) var current: MongoToken
    /// Where the last consumed token ended, so a statement's text stops at its final `)`.
    private(set) var previousTokenEnd = 0

    init(_ source: MongoSourceText) throws(MongoParseError) {
        lexer = MongoShellLexer(source)
        current = try lexer.nextToken()
    }

    var source: MongoSourceText { lexer.source }

    mutating func advance() throws(MongoParseError) {
        previousTokenEnd = current.end
        current = try lexer.nextToken()
    }

    /// The token after the current one, or nil if it cannot be lexed (the error will be
    /// reported when the parser really gets there).
    func peekNext() -> MongoToken? {
        var copy = self
        return try? copy.lexer.nextToken()
    }

    func error(_ message: String, at offset: Int) -> MongoParseError {
        MongoParseError(message, at: offset, in: source)
    }

    func error(_ message: String) -> MongoParseError {
        error(message, at: current.start)
    }

    /// Consumes the current token if it is `kind`; otherwise fails with `message` at it.
    @discardableResult
    mutating func expect(_ kind: MongoToken.Kind, _ message: @autoclosure () -> String) throws(MongoParseError)
        -> MongoToken
    {
        guard current.kind == kind else { throw error(message()) }
        let token = current
        try advance()
        return token
    }

    /// One level deeper than `depth`, or an error at the current token past the limit.
    func nestedDepth(_ depth: Int) throws(MongoParseError) -> Int {
        guard depth < Self.maximumDepth else {
            throw error("the value is nested more than \(Self.maximumDepth) levels deep")
        }
        return depth + 1
    }
}
