/// One token of a mongosh script, with its position in characters.
struct MongoToken: Sendable {
    enum Kind: Sendable, Equatable {
        case identifier(String)
        /// The string's value, escapes already resolved.
        case string(String)
        /// The literal's text (`"12"`, `"1.5e3"`); the value parser decides its BSON type.
        case number(String)
        /// `options` are already BSON options: validated, `u` dropped, sorted.
        case regex(pattern: String, options: String)
        case leftBrace, rightBrace, leftBracket, rightBracket, leftParen, rightParen
        case comma, colon, semicolon, dot, minus
        /// `=>`, recognised only so arrow functions get a clear refusal.
        case arrow
        case endOfInput
    }

    let kind: Kind
    let start: Int
    let end: Int
    /// A line break separates this token from the previous one, so a statement may end here.
    let followsLineBreak: Bool

    /// How error messages name this token: "found '}'", "found the end of the script".
    var description: String {
        switch kind {
        case .identifier(let name): "'\(name)'"
        case .string(let value): "the string \(MongoToken.quoted(value))"
        case .number(let text): "the number \(text)"
        case .regex: "a regular expression"
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .leftParen: "'('"
        case .rightParen: "')'"
        case .comma: "','"
        case .colon: "':'"
        case .semicolon: "';'"
        case .dot: "'.'"
        case .minus: "'-'"
        case .arrow: "'=>'"
        case .endOfInput: "the end of the script"
        }
    }

    /// Double-quotes `text` for a message, shortened so a huge literal can't flood Slack.
    static func quoted(_ text: String) -> String {
        let limit = 40
        return text.count <= limit ? "\"\(text)\"" : "\"\(text.prefix(limit))…\""
    }
}

/// Splits a script into tokens on demand.
///
/// Tokens are produced one at a time rather than up front so that an error early in the
/// script is reported before a lexical error later on. A `/` starts a regular expression
/// unless the previous token ended a value — the same rule JavaScript engines use — and since
/// mongosh queries never divide, a `/` after a value is an error.
struct MongoShellLexer: Sendable {
    let source: MongoSourceText
    private var offset = 0
    private var previousTokenEndsValue = false

    init(_ source: MongoSourceText) { self.source = source }

    mutating func nextToken() throws(MongoParseError) -> MongoToken {
        let followsLineBreak = try skipWhitespaceAndComments()
        let start = offset
        let kind = try lexKind()
        previousTokenEndsValue =
            switch kind {
            case .identifier, .string, .number, .regex, .rightBrace, .rightBracket, .rightParen: true
            default: false
            }
        return MongoToken(kind: kind, start: start, end: offset, followsLineBreak: followsLineBreak)
    }

    // MARK: - Characters

    private var characters: [Character] { source.characters }

    private func character(at index: Int) -> Character? {
        index < characters.count ? characters[index] : nil
    }

    private var current: Character? { character(at: offset) }

    private func error(_ message: String, at offset: Int) -> MongoParseError {
        MongoParseError(message, at: offset, in: source)
    }

    /// Returns whether a line break was skipped, which lets a newline end a statement.
    private mutating func skipWhitespaceAndComments() throws(MongoParseError) -> Bool {
        var sawLineBreak = false
        while let character = current {
            if character.isWhitespace {
                sawLineBreak = sawLineBreak || character.isNewline
                offset += 1
            } else if character == "/" && self.character(at: offset + 1) == "/" {
                while let next = current, !next.isNewline { offset += 1 }
            } else if character == "/" && self.character(at: offset + 1) == "*" {
                let start = offset
                offset += 2
                while let inside = current, !(inside == "*" && self.character(at: offset + 1) == "/") {
                    sawLineBreak = sawLineBreak || inside.isNewline
                    offset += 1
                }
                guard current != nil else {
                    throw error("unterminated comment: '/*' is never closed by '*/'", at: start)
                }
                offset += 2
            } else {
                break
            }
        }
        return sawLineBreak
    }

    private mutating func lexKind() throws(MongoParseError) -> MongoToken.Kind {
        guard let character = current else { return .endOfInput }
        if let punctuation = Self.punctuation[character] {
            offset += 1
            return punctuation
        }
        if character == "\"" || character == "'" { return .string(try lexString(quote: character)) }
        if character.isASCIIDigit { return .number(try lexNumber()) }
        if character.isIdentifierStart { return .identifier(lexIdentifier()) }
        if character == "=" && self.character(at: offset + 1) == ">" {
            offset += 2
            return .arrow
        }
        if character == "/" {
            guard !previousTokenEndsValue else {
                throw error("unexpected '/': arithmetic is not supported in queries", at: offset)
            }
            return try lexRegex()
        }
        if Self.curlyQuotes.contains(character) {
            throw error(
                "unexpected curly quote \(character): use straight quotes \" or ' (Slack may have converted them; "
                    + "send the query in a code block)", at: offset)
        }
        throw error("unexpected character '\(character)'", at: offset)
    }

    private static let punctuation: [Character: MongoToken.Kind] = [
        "{": .leftBrace, "}": .rightBrace, "[": .leftBracket, "]": .rightBracket, "(": .leftParen,
        ")": .rightParen, ",": .comma, ":": .colon, ";": .semicolon, ".": .dot, "-": .minus,
    ]

    private static let curlyQuotes: Set<Character> = ["\u{201C}", "\u{201D}", "\u{2018}", "\u{2019}"]

    // MARK: - Identifiers and numbers

    private mutating func lexIdentifier() -> String {
        let start = offset
        while let character = current, character.isIdentifierPart { offset += 1 }
        return source.text(start..<offset)
    }

    /// JSON-style numbers: `0`, `-` is a separate token, optional fraction and exponent.
    private mutating func lexNumber() throws(MongoParseError) -> String {
        let start = offset
        if current == "0", character(at: offset + 1)?.isASCIIDigit == true {
            throw error("numbers cannot start with 0 (JavaScript would read them as octal)", at: start)
        }
        skipDigits()
        if current == ".", character(at: offset + 1)?.isASCIIDigit == true {
            offset += 1
            skipDigits()
        }
        if current == "e" || current == "E" {
            offset += 1
            if current == "+" || current == "-" { offset += 1 }
            guard current?.isASCIIDigit == true else {
                throw error("expected digits in the exponent of the number", at: offset)
            }
            skipDigits()
        }
        if let next = current, next.isIdentifierPart {
            throw error("unexpected character '\(next)' after the number", at: offset)
        }
        return source.text(start..<offset)
    }

    private mutating func skipDigits() {
        while current?.isASCIIDigit == true { offset += 1 }
    }

    // MARK: - Strings

    private mutating func lexString(quote: Character) throws(MongoParseError) -> String {
        let start = offset
        offset += 1
        var value = ""
        while true {
            guard let character = current, !character.isNewline else {
                throw error("unterminated string: the \(quote) here is never closed", at: start)
            }
            offset += 1
            if character == quote { return value }
            if character == "\\" {
                try lexEscape(into: &value, backslashOffset: offset - 1)
            } else {
                value.append(character)
            }
        }
    }

    /// JavaScript escapes. Unknown escapes such as `\d` are errors rather than silently
    /// dropping the backslash as JavaScript does: in a query `"\d+"` almost always meant the
    /// regex `\\d+`, and quietly matching `d+` would return the wrong documents.
    private mutating func lexEscape(into value: inout String, backslashOffset: Int) throws(MongoParseError) {
        guard let escaped = current else {
            throw error("unterminated string: a '\\' ends the script", at: backslashOffset)
        }
        offset += 1
        switch escaped {
        case "n": value.append("\n")
        case "t": value.append("\t")
        case "r": value.append("\r")
        case "b": value.append("\u{08}")
        case "f": value.append("\u{0C}")
        case "v": value.append("\u{0B}")
        case "\"", "'", "\\", "/": value.append(escaped)
        case "0" where current?.isASCIIDigit != true: value.append("\u{0}")
        case "u": value.unicodeScalars.append(try lexUnicodeEscape(backslashOffset: backslashOffset))
        case "x":
            guard let code = hexValue(length: 2) else {
                throw error("invalid escape: '\\x' must be followed by two hex digits", at: backslashOffset)
            }
            value.unicodeScalars.append(Unicode.Scalar(UInt8(code)))
        case _ where escaped.isNewline:
            break  // A backslash before a line break continues the string on the next line.
        default:
            throw error(
                "unknown escape '\\\(escaped)' in a string; write '\\\\\(escaped)' for a literal backslash",
                at: backslashOffset)
        }
    }

    /// `\uXXXX` (pairing UTF-16 surrogates) or `\u{X…}`; `offset` is just past the `u`.
    private mutating func lexUnicodeEscape(backslashOffset: Int) throws(MongoParseError) -> Unicode.Scalar {
        let invalid = error("invalid Unicode escape; expected \\uXXXX or \\u{X…}", at: backslashOffset)
        if current == "{" {
            offset += 1
            var code: UInt32 = 0
            var digitCount = 0
            while let character = current, let digit = MongoHex.value(of: character) {
                code = code &* 16 &+ UInt32(digit)
                digitCount += 1
                offset += 1
                if digitCount > 6 { throw invalid }
            }
            guard digitCount > 0, current == "}", let scalar = Unicode.Scalar(code) else { throw invalid }
            offset += 1
            return scalar
        }
        guard let unit = hexValue(length: 4) else { throw invalid }
        if let scalar = Unicode.Scalar(unit) { return scalar }
        // A high surrogate must be followed by an escaped low surrogate.
        guard (0xD800...0xDBFF).contains(unit), current == "\\", character(at: offset + 1) == "u" else {
            throw error("invalid Unicode escape: unpaired UTF-16 surrogate", at: backslashOffset)
        }
        offset += 2
        guard let low = hexValue(length: 4), (0xDC00...0xDFFF).contains(low),
            let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        else {
            throw error("invalid Unicode escape: unpaired UTF-16 surrogate", at: backslashOffset)
        }
        return scalar
    }

    /// Consumes exactly `length` hex digits, or nothing when they aren't there.
    private mutating func hexValue(length: Int) -> UInt32? {
        var value: UInt32 = 0
        for index in 0..<length {
            guard let character = character(at: offset + index), let digit = MongoHex.value(of: character) else {
                return nil
            }
            value = value * 16 + UInt32(digit)
        }
        offset += length
        return value
    }

    // MARK: - Regular expressions

    /// `/pattern/flags`. The pattern is kept verbatim (escapes included) because it is
    /// interpreted by the server's PCRE, not by us; only the end of the literal must be found,
    /// which means honouring `\/` and `/` inside `[...]`.
    private mutating func lexRegex() throws(MongoParseError) -> MongoToken.Kind {
        let start = offset
        offset += 1
        var pattern = ""
        var inCharacterClass = false
        while true {
            guard let character = current, !character.isNewline else {
                throw error("unterminated regular expression: the '/' here is never closed", at: start)
            }
            offset += 1
            if character == "/" && !inCharacterClass { break }
            pattern.append(character)
            if character == "\\" {
                guard let escaped = current, !escaped.isNewline else {
                    throw error("unterminated regular expression: the '/' here is never closed", at: start)
                }
                pattern.append(escaped)
                offset += 1
            } else if character == "[" {
                inCharacterClass = true
            } else if character == "]" {
                inCharacterClass = false
            }
        }
        let flagsStart = offset
        let flags = lexIdentifier()
        do throws(MongoRegexOptions.InvalidFlag) {
            return .regex(pattern: pattern, options: try MongoRegexOptions.fromJavaScriptFlags(flags))
        } catch {
            throw self.error(error.message, at: flagsStart + error.index)
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { asciiValue.map { (0x30...0x39).contains($0) } ?? false }

    /// JavaScript identifier characters, including `$` so operators like `$gt` need no quotes.
    fileprivate var isIdentifierStart: Bool { self == "$" || self == "_" || isLetter }
    fileprivate var isIdentifierPart: Bool { isIdentifierStart || isNumber }
}
