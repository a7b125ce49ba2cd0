
/// Splits a SQL script into its statements, as psql does, so that each can be sent on its own.
///
/// postgres-nio speaks only the extended query protocol, which takes one statement at a time (a
/// multi-statement string fails with 42601). The splitter knows just enough of PostgreSQL's lexical rules
/// to find the `;` that end statements: quoted strings (`'…'`, `E'…'` with backslash escapes), quoted
/// identifiers (`"…"`), dollar quotes (`$tag$…$tag$`), line comments and nested block comments.
public enum SQLScript {
    /// The statements of `script`, trimmed, without the terminating `;`. Statements that hold nothing but
    /// comments are dropped.
    public static func statements(in script: String) -> [String] {
        let text = Array(script.unicodeScalars)
        var statements: [String] = []
        var start = 0
        var hasCode = false
        walk(text) { piece in
            switch piece {
            case .terminator(let index):
                if hasCode { statements.append(string(text[start..<index]).trimmingSpaces()) }
                start = index + 1
                hasCode = false
            case .code(let range):
                if text[range].contains(where: { !$0.properties.isWhitespace }) { hasCode = true }
            case .literal:
                hasCode = true
            case .comment:
                break
            }
        }
        if hasCode { statements.append(string(text[start...]).trimmingSpaces()) }
        return statements
    }

    /// The keywords and identifiers of `statement`, upper-cased, leaving out what is inside strings, quoted
    /// identifiers and comments: what the risk analysis reads. `$1` and other punctuation are dropped.
    public static func words(in statement: String) -> [String] {
        let text = Array(statement.unicodeScalars)
        var words: [String] = []
        walk(text) { piece in
            guard case .code(let range) = piece else { return }
            var current = String.UnicodeScalarView()
            for scalar in text[range] {
                if isIdentifierPart(scalar) {
                    current.append(scalar)
                } else if !current.isEmpty {
                    words.append(String(current).uppercased())
                    current = String.UnicodeScalarView()
                }
            }
            if !current.isEmpty { words.append(String(current).uppercased()) }
        }
        return words
    }

    /// The pieces a script is made of, in order.
    private enum Piece {
        case code(Range<Int>)
        case literal(Range<Int>)
        case comment(Range<Int>)
        case terminator(Int)
    }

    /// Visits `text` piece by piece: runs of code, quoted runs (strings, quoted identifiers, dollar quotes),
    /// comments, and the `;` that end statements.
    private static func walk(_ text: [Unicode.Scalar], _ visit: (Piece) -> Void) {
        var index = 0
        var codeStart = 0
        func flushCode(upTo end: Int) {
            if end > codeStart { visit(.code(codeStart..<end)) }
        }
        while index < text.count {
            let scalar = text[index]
            let next = index + 1 < text.count ? text[index + 1] : nil
            var skipped: (Piece, Int)? = nil
            switch scalar {
            case "-" where next == "-":
                let end = skipLineComment(text, from: index)
                skipped = (.comment(index..<end), end)
            case "/" where next == "*":
                let end = skipBlockComment(text, from: index)
                skipped = (.comment(index..<end), end)
            case "'":
                let escapes = index > 0 && (text[index - 1] == "E" || text[index - 1] == "e")
                    && (index < 2 || !isIdentifierPart(text[index - 2]))
                let end = skipQuoted(text, from: index, quote: "'", backslashEscapes: escapes)
                skipped = (.literal(index..<end), end)
            case "\"":
                let end = skipQuoted(text, from: index, quote: "\"", backslashEscapes: false)
                skipped = (.literal(index..<end), end)
            case "$":
                if let tag = dollarQuoteTag(text, at: index), index == 0 || !isIdentifierPart(text[index - 1]) {
                    let end = skipDollarQuoted(text, from: index, tag: tag)
                    skipped = (.literal(index..<end), end)
                }
            case ";":
                flushCode(upTo: index)
                visit(.terminator(index))
                index += 1
                codeStart = index
                continue
            default:
                break
            }
            if let (piece, end) = skipped {
                flushCode(upTo: index)
                visit(piece)
                index = end
                codeStart = end
            } else {
                index += 1
            }
        }
        flushCode(upTo: text.count)
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    private static func isIdentifierPart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
    }

    private static func skipLineComment(_ text: [Unicode.Scalar], from start: Int) -> Int {
        var index = start
        while index < text.count, text[index] != "\n" { index += 1 }
        return index
    }

    /// Block comments nest in PostgreSQL: `/* a /* b */ c */` is one comment.
    private static func skipBlockComment(_ text: [Unicode.Scalar], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < text.count {
            if text[index] == "/", index + 1 < text.count, text[index + 1] == "*" {
                depth += 1
                index += 2
            } else if text[index] == "*", index + 1 < text.count, text[index + 1] == "/" {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return index
    }

    /// A doubled quote inside a quoted run stands for the quote itself.
    private static func skipQuoted(
        _ text: [Unicode.Scalar], from start: Int, quote: Unicode.Scalar, backslashEscapes: Bool
    ) -> Int {
        var index = start + 1
        while index < text.count {
            if backslashEscapes, text[index] == "\\" {
                index += 2
            } else if text[index] == quote {
                if index + 1 < text.count, text[index + 1] == quote {
                    index += 2
                } else {
                    return index + 1
                }
            } else {
                index += 1
            }
        }
        return index
    }

    /// The tag of a dollar quote starting at `index` (`$$` has the empty tag), or nil when the `$` starts
    /// something else, such as the parameter `$1`.
    private static func dollarQuoteTag(_ text: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        var end = index + 1
        while end < text.count, text[end] != "$" {
            let scalar = text[end]
            let allowed = scalar == "_" || scalar.properties.isAlphabetic || (end > index + 1 && ("0"..."9").contains(scalar))
            guard allowed else { return nil }
            end += 1
        }
        guard end < text.count else { return nil }
        return Array(text[index...end])
    }

    private static func skipDollarQuoted(_ text: [Unicode.Scalar], from start: Int, tag: [Unicode.Scalar]) -> Int {
        var index = start + tag.count
        while index + tag.count <= text.count {
            if text[index] == "$", Array(text[index..<(index + tag.count)]) == tag {
                return index + tag.count
            }
            index += 1
        }
        return text.count
    }
}
