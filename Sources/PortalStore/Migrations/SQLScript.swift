import QueryGateCore

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
        var index = 0

        func flush(upTo end: Int) {
            if hasCode {
                var statement = String.UnicodeScalarView()
                statement.append(contentsOf: text[start..<end])
                statements.append(String(statement).trimmingSpaces())
            }
            hasCode = false
        }

        while index < text.count {
            let scalar = text[index]
            let next = index + 1 < text.count ? text[index + 1] : nil
            switch scalar {
            case "-" where next == "-":
                index = skipLineComment(text, from: index)
                continue
            case "/" where next == "*":
                index = skipBlockComment(text, from: index)
                continue
            case "'":
                let escapes = index > 0 && (text[index - 1] == "E" || text[index - 1] == "e")
                    && (index < 2 || !isIdentifierPart(text[index - 2]))
                index = skipQuoted(text, from: index, quote: "'", backslashEscapes: escapes)
            case "\"":
                index = skipQuoted(text, from: index, quote: "\"", backslashEscapes: false)
            case "$":
                if let tag = dollarQuoteTag(text, at: index), index == 0 || !isIdentifierPart(text[index - 1]) {
                    index = skipDollarQuoted(text, from: index, tag: tag)
                } else {
                    index += 1
                }
            case ";":
                flush(upTo: index)
                index += 1
                start = index
                continue
            default:
                index += 1
            }
            if !scalar.properties.isWhitespace { hasCode = true }
        }
        flush(upTo: text.count)
        return statements
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
