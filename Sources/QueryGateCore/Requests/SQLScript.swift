/// Splits a SQL script into its statements, as psql does, so that each can be sent on its own.
///
/// postgres-nio speaks only the extended query protocol, which takes one statement at a time (a
/// multi-statement string fails with 42601); the target engine sends a read-only request one statement at a
/// time for the same reason, so that nothing the analysis did not see can run. The split uses `SQLLexer`, the
/// same reading of PostgreSQL's lexical rules that the risk analysis uses: quoted strings (`'…'`, `E'…'` with
/// backslash escapes), quoted identifiers (`"…"`, `U&"…"`), dollar quotes (`$tag$…$tag$`), line comments and
/// nested block comments.
public enum SQLScript {
    /// A statement of a script: its text and tokens, and where it starts in the script.
    public struct Statement: Sendable, Equatable {
        /// Trimmed, without the terminating `;`.
        public let text: String
        /// The statement's tokens (comments left out).
        public let tokens: [SQLToken]
        /// Offset, in Unicode scalars, of `text` in the script: add it to an error position in `text`.
        public let offset: Int
    }

    /// The statements of `script`, trimmed, without the terminating `;`. Statements that hold nothing but
    /// comments are dropped.
    public static func statements(in script: String) -> [String] {
        parse(script).map(\.text)
    }

    /// The statements of `script` with their tokens and offsets.
    public static func parse(_ script: String) -> [Statement] {
        let text = Array(script.unicodeScalars)
        var statements: [Statement] = []
        var start = 0
        var tokens: [SQLToken] = []
        func close(at end: Int) {
            defer {
                start = end + 1
                tokens = []
            }
            guard !tokens.isEmpty else { return }
            var lower = start
            var upper = end
            while lower < upper, text[lower].properties.isWhitespace { lower += 1 }
            while upper > lower, text[upper - 1].properties.isWhitespace { upper -= 1 }
            let shifted = tokens.map { SQLToken(kind: $0.kind, range: ($0.range.lowerBound - lower)..<($0.range.upperBound - lower)) }
            statements.append(Statement(text: SQLLexer.string(text[lower..<upper]), tokens: shifted, offset: lower))
        }
        SQLLexer.scan(text) { token in
            if token.kind == .semicolon {
                close(at: token.range.lowerBound)
            } else {
                tokens.append(token)
            }
        }
        close(at: text.count)
        return statements
    }

    /// The keywords and identifiers of `statement`, upper-cased, leaving out what is inside strings, quoted
    /// identifiers and comments. `$1` and other punctuation are dropped.
    public static func words(in statement: String) -> [String] {
        var words: [String] = []
        SQLLexer.scan(Array(statement.unicodeScalars)) { token in
            if let word = token.word { words.append(word) }
        }
        return words
    }
}
