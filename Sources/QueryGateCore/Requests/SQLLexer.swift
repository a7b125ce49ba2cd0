/// One token of PostgreSQL's lexical grammar, as the server reads it with `standard_conforming_strings` on
/// (QueryGate pins that setting on every target session, so that this lexer and the server's agree).
public struct SQLToken: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A keyword or unquoted identifier, ASCII letters upper-cased (the server folds them; case does not matter).
        case word(String)
        /// `"…"` or `U&"…"`, with doubled quotes and Unicode escapes decoded: the name the server looks up.
        case quotedIdentifier(String)
        /// `'…'`, `E'…'`, `U&'…'`, `B'…'`, `X'…'`, `N'…'` or `$tag$…$tag$`.
        case string
        case number
        /// `$1`.
        case parameter
        /// An operator or punctuation character, one per token.
        case symbol(Unicode.Scalar)
        case semicolon
    }

    public let kind: Kind
    /// Offsets in the text's Unicode scalars (PostgreSQL counts positions in characters of the encoding, which
    /// for UTF-8 are scalars).
    public let range: Range<Int>

    /// The bare word, if this is one.
    public var word: String? {
        if case .word(let word) = kind { return word }
        return nil
    }

    /// The name this token stands for when it is an identifier, quoted or not, upper-cased for comparison.
    public var name: String? {
        switch kind {
        case .word(let word): word
        case .quotedIdentifier(let name): SQLLexer.asciiUppercased(name)
        default: nil
        }
    }
}

/// PostgreSQL's lexical rules (src/backend/parser/scan.l), as far as the risk analysis needs them: where strings,
/// quoted identifiers, dollar quotes and comments begin and end, and what an identifier is. Getting these exactly
/// right is what keeps a statement from hiding from the analysis: an identifier may contain `$` and any
/// non-ASCII character, so `x$$` is a name, not the start of a dollar quote, and `€$a$` is one identifier too.
enum SQLLexer {
    /// Calls `visit` with each token of `text`, and `comment` with the range of each comment.
    static func scan(_ text: [Unicode.Scalar], comment: (Range<Int>) -> Void = { _ in }, _ visit: (SQLToken) -> Void) {
        var index = 0
        var pending: [SQLToken] = []
        /// A `U&"…"` waits for a possible `UESCAPE 'c'` after it before it can be decoded.
        func emit(_ token: SQLToken) { pending.append(token) }
        while index < text.count {
            let scalar = text[index]
            let next = index + 1 < text.count ? text[index + 1] : nil
            let start = index
            switch scalar {
            case " ", "\t", "\n", "\r", "\u{0C}", "\u{0B}":
                index += 1
            case "-" where next == "-":
                while index < text.count, text[index] != "\n", text[index] != "\r" { index += 1 }
                comment(start..<index)
            case "/" where next == "*":
                index = skipBlockComment(text, from: index)
                comment(start..<index)
            case "'":
                index = skipQuoted(text, from: index, quote: "'", backslashEscapes: false)
                emit(SQLToken(kind: .string, range: start..<index))
            case "\"":
                index = skipQuoted(text, from: index, quote: "\"", backslashEscapes: false)
                emit(SQLToken(kind: .quotedIdentifier(undoubled(text, start..<index, quote: "\"")), range: start..<index))
            case "$":
                if let next, ("0"..."9").contains(next) {
                    index += 1
                    while index < text.count, ("0"..."9").contains(text[index]) { index += 1 }
                    emit(SQLToken(kind: .parameter, range: start..<index))
                } else if let tag = dollarQuoteTag(text, at: index) {
                    index = skipDollarQuoted(text, from: index, tag: tag)
                    emit(SQLToken(kind: .string, range: start..<index))
                } else {
                    index += 1
                    emit(SQLToken(kind: .symbol(scalar), range: start..<index))
                }
            case ";":
                index += 1
                emit(SQLToken(kind: .semicolon, range: start..<index))
            case "0"..."9":
                index = skipNumber(text, from: index)
                emit(SQLToken(kind: .number, range: start..<index))
            case "." where next.map { ("0"..."9").contains($0) } ?? false:
                index = skipNumber(text, from: index)
                emit(SQLToken(kind: .number, range: start..<index))
            default:
                guard isIdentifierStart(scalar) else {
                    index += 1
                    emit(SQLToken(kind: .symbol(scalar), range: start..<index))
                    continue
                }
                while index < text.count, isIdentifierPart(text[index]) { index += 1 }
                let word = asciiUppercased(string(text[start..<index]))
                let quote = index < text.count ? text[index] : nil
                let afterAmpersand = index + 1 < text.count ? text[index + 1] : nil
                if word == "E", quote == "'" {
                    index = skipQuoted(text, from: index, quote: "'", backslashEscapes: true)
                    emit(SQLToken(kind: .string, range: start..<index))
                } else if ["B", "X", "N"].contains(word), quote == "'" {
                    index = skipQuoted(text, from: index, quote: "'", backslashEscapes: false)
                    emit(SQLToken(kind: .string, range: start..<index))
                } else if word == "U", quote == "&", afterAmpersand == "'" {
                    index = skipQuoted(text, from: index + 1, quote: "'", backslashEscapes: false)
                    emit(SQLToken(kind: .string, range: start..<index))
                } else if word == "U", quote == "&", afterAmpersand == "\"" {
                    index = skipQuoted(text, from: index + 1, quote: "\"", backslashEscapes: false)
                    emit(SQLToken(kind: .quotedIdentifier(""), range: start..<index))
                } else {
                    emit(SQLToken(kind: .word(word), range: start..<index))
                }
            }
        }
        decodeUnicodeIdentifiers(&pending, text)
        pending.forEach(visit)
    }

    /// Replaces each `U&"…"` by its decoded name, with the escape character of a following `UESCAPE 'c'`.
    private static func decodeUnicodeIdentifiers(_ tokens: inout [SQLToken], _ text: [Unicode.Scalar]) {
        for (position, token) in tokens.enumerated() {
            guard case .quotedIdentifier = token.kind, text[token.range.lowerBound] != "\"" else { continue }
            var escape: Unicode.Scalar = "\\"
            if position + 2 < tokens.count, tokens[position + 1].word == "UESCAPE", tokens[position + 2].kind == .string {
                let literal = text[tokens[position + 2].range]
                if literal.count == 3 { escape = literal[literal.startIndex + 1] }
            }
            let quoted = (token.range.lowerBound + 2)..<token.range.upperBound
            let name = decodeUnicodeEscapes(Array(undoubled(text, quoted, quote: "\"").unicodeScalars), escape: escape)
            tokens[position] = SQLToken(kind: .quotedIdentifier(name), range: token.range)
        }
    }

    /// `\XXXX` and `\+XXXXXX` (hex code points) and a doubled escape character, as in U&"…".
    static func decodeUnicodeEscapes(_ scalars: [Unicode.Scalar], escape: Unicode.Scalar) -> String {
        var result = String.UnicodeScalarView()
        var index = 0
        func hex(_ range: Range<Int>) -> Unicode.Scalar? {
            guard range.upperBound <= scalars.count else { return nil }
            return UInt32(string(scalars[range]), radix: 16).flatMap(Unicode.Scalar.init)
        }
        while index < scalars.count {
            if scalars[index] == escape, index + 1 < scalars.count {
                if scalars[index + 1] == escape {
                    result.append(escape)
                    index += 2
                    continue
                }
                if scalars[index + 1] == "+", let decoded = hex((index + 2)..<(index + 8)) {
                    result.append(decoded)
                    index += 8
                    continue
                }
                if let decoded = hex((index + 1)..<(index + 5)) {
                    result.append(decoded)
                    index += 5
                    continue
                }
            }
            result.append(scalars[index])
            index += 1
        }
        return String(result)
    }

    /// The server folds only ASCII letters in unquoted names. Byte by byte: in UTF-8 the bytes of `a` to `z` are
    /// those letters and nothing else (every byte of a longer character is 0x80 or more).
    static func asciiUppercased(_ text: String) -> String {
        let lowercase = UInt8(ascii: "a")...UInt8(ascii: "z")
        guard text.utf8.contains(where: lowercase.contains) else { return text }
        return String(decoding: text.utf8.map { lowercase.contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
    }

    /// The text of a run of scalars, encoded straight into the string's UTF-8 (appending scalars to a
    /// `String.UnicodeScalarView` took two thirds of the lexer's time).
    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        String(unsafeUninitializedCapacity: scalars.count * 4) { buffer in
            var count = 0
            for scalar in scalars {
                for byte in scalar.utf8 {
                    buffer[count] = byte
                    count += 1
                }
            }
            return count
        }
    }

    /// The content of a quoted run (`"a""b"` is `a"b`).
    private static func undoubled(_ text: [Unicode.Scalar], _ range: Range<Int>, quote: Unicode.Scalar) -> String {
        let closed = range.count > 1 && text[range.upperBound - 1] == quote
        let inner = text[(range.lowerBound + 1)..<(closed ? range.upperBound - 1 : range.upperBound)]
        var result = String.UnicodeScalarView()
        var index = inner.startIndex
        while index < inner.endIndex {
            result.append(inner[index])
            index += inner[index] == quote && index + 1 < inner.endIndex && inner[index + 1] == quote ? 2 : 1
        }
        return String(result)
    }

    /// scan.l's `ident_start`: a letter, `_`, or any byte of a multi-byte character.
    static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar.value >= 0x80
    }

    /// scan.l's `ident_cont`: also digits and `$`.
    static func isIdentifierPart(_ scalar: Unicode.Scalar) -> Bool {
        isIdentifierStart(scalar) || ("0"..."9").contains(scalar) || scalar == "$"
    }

    /// Digits, `_`, one `.` and an exponent; whatever letters follow start a new token, as in PostgreSQL 15.
    private static func skipNumber(_ text: [Unicode.Scalar], from start: Int) -> Int {
        var index = start
        var seenDot = false
        while index < text.count {
            let scalar = text[index]
            if ("0"..."9").contains(scalar) || scalar == "_" {
                index += 1
            } else if scalar == ".", !seenDot, !(index + 1 < text.count && text[index + 1] == ".") {
                seenDot = true
                index += 1
            } else if scalar == "e" || scalar == "E" {
                var exponent = index + 1
                if exponent < text.count, text[exponent] == "+" || text[exponent] == "-" { exponent += 1 }
                guard exponent < text.count, ("0"..."9").contains(text[exponent]) else { return index }
                index = exponent
                while index < text.count, ("0"..."9").contains(text[index]) { index += 1 }
                return index
            } else {
                return index
            }
        }
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
    private static func skipQuoted(_ text: [Unicode.Scalar], from start: Int, quote: Unicode.Scalar, backslashEscapes: Bool) -> Int {
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
        return min(index, text.count)
    }

    /// The tag of a dollar quote starting at `index` (`$$` has the empty tag), or nil when the `$` starts
    /// something else. Tags follow scan.l's `dolq_start` and `dolq_cont`.
    private static func dollarQuoteTag(_ text: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        var end = index + 1
        while end < text.count, text[end] != "$" {
            let scalar = text[end]
            guard end == index + 1 ? isIdentifierStart(scalar) : (isIdentifierStart(scalar) || ("0"..."9").contains(scalar)) else { return nil }
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
