/// A field as parsed, still carrying positions so Extended JSON wrappers can point errors at
/// the right token after the whole object has been read.
struct MongoParsedField {
    let key: String
    let keyOffset: Int
    let value: MongoValue
    let valueOffset: Int
}

/// A value passed to a method or helper call, with where it started for error messages.
struct MongoArgument {
    let value: MongoValue
    let offset: Int
}

/// The arguments of one call; `closingOffset` is where "missing argument" errors point.
struct MongoArgumentList {
    let arguments: [MongoArgument]
    let closingOffset: Int
}

/// Recursive descent over mongosh values: documents, arrays, literals and shell helpers.
extension MongoTokenStream {
    static let javaScriptRefusal =
        "server-side JavaScript is not allowed: queries cannot contain functions"

    /// Parses one value. `depth` counts the documents, arrays and helper calls around it.
    mutating func parseValue(depth: Int) throws(MongoParseError) -> MongoValue {
        switch current.kind {
        case .leftBrace:
            return try parseDocument(depth: depth)
        case .leftBracket:
            return try parseArray(depth: depth)
        case .string(let value):
            try advance()
            return .string(value)
        case .number(let text):
            try advance()
            return Self.numberValue(text)
        case .minus:
            return try parseNegativeNumber()
        case .regex(let pattern, let options):
            try advance()
            return .regex(pattern: pattern, options: options)
        case .identifier(let name):
            return try parseNamedValue(name, depth: depth)
        case .leftParen:
            throw startsArrowFunction() ? error(Self.javaScriptRefusal) : error("expected a value, found '('")
        default:
            throw error("expected a value, found \(current.description)")
        }
    }

    /// `(a, b)` after a method or helper name; the current token must be `(`.
    mutating func parseArguments(depth: Int) throws(MongoParseError) -> MongoArgumentList {
        let open = try expect(.leftParen, "expected '('")
        var arguments: [MongoArgument] = []
        while current.kind != .rightParen {
            guard current.kind != .endOfInput else { throw unclosed("argument list", opener: open, closer: ")") }
            let offset = current.start
            arguments.append(MongoArgument(value: try parseValue(depth: depth), offset: offset))
            if current.kind == .comma {
                try advance()
            } else if current.kind != .rightParen {
                throw current.kind == .endOfInput
                    ? unclosed("argument list", opener: open, closer: ")")
                    : error("expected ',' or ')' after the argument, found \(current.description)")
            }
        }
        let closingOffset = current.start
        try advance()
        return MongoArgumentList(arguments: arguments, closingOffset: closingOffset)
    }

    /// Integers become int32 when they fit, then int64, then double — what mongosh stores for
    /// `{a: 5}` and what users expect to see in the resulting documents. Anything with a
    /// fraction or exponent is a double.
    static func numberValue(_ text: String) -> MongoValue {
        let isInteger = !text.contains { $0 == "." || $0 == "e" || $0 == "E" }
        if isInteger, let value = Int32(text) { return .int32(value) }
        if isInteger, let value = Int64(text) { return .int64(value) }
        // The lexer only produces JSON number syntax, which Double always accepts.
        return .double(Double(text)!)
    }

    // MARK: - Containers

    private mutating func parseDocument(depth: Int) throws(MongoParseError) -> MongoValue {
        let innerDepth = try nestedDepth(depth)
        let open = current
        try advance()
        var fields: [MongoParsedField] = []
        var seenKeys = Set<String>()
        while current.kind != .rightBrace {
            let keyToken = current
            let key: String
            switch keyToken.kind {
            case .identifier(let name): key = name
            case .string(let value): key = value
            // JavaScript allows `{0: x}`; the key is the digits, as in `{$set: {0: 1}}`.
            case .number(let text) where text.allSatisfy(\.isWholeNumber): key = text
            case .endOfInput: throw unclosed("document", opener: open, closer: "}")
            default: throw error("expected a key or '}', found \(current.description)")
            }
            guard !key.unicodeScalars.contains("\0") else { throw error("keys cannot contain the NUL character") }
            guard seenKeys.insert(key).inserted else { throw error("duplicate key \(MongoToken.quoted(key))") }
            try advance()
            if current.kind == .dot, case .identifier = keyToken.kind {
                throw error("keys containing '.' must be quoted, as in \"\(key).…\"")
            }
            try expect(.colon, "expected ':' after the key \(MongoToken.quoted(key))")
            let valueOffset = current.start
            let value = try parseValue(depth: innerDepth)
            fields.append(MongoParsedField(key: key, keyOffset: keyToken.start, value: value, valueOffset: valueOffset))
            if current.kind == .comma {
                try advance()
            } else if current.kind != .rightBrace {
                throw current.kind == .endOfInput
                    ? unclosed("document", opener: open, closer: "}")
                    : error(
                        "expected ',' or '}' after the value of \(MongoToken.quoted(key)), found \(current.description)"
                    )
            }
        }
        try advance()
        if let wrapped = try MongoExtendedJSONWrapper.value(of: fields, in: source) { return wrapped }
        return .document(MongoDocument(fields: fields.map { field in
            let position = source.position(of: field.keyOffset)
            return MongoDocument.Field(key: field.key, value: field.value, position: MongoSourcePosition(line: position.line, column: position.column))
        }))
    }

    private mutating func parseArray(depth: Int) throws(MongoParseError) -> MongoValue {
        let innerDepth = try nestedDepth(depth)
        let open = current
        try advance()
        var elements: [MongoValue] = []
        while current.kind != .rightBracket {
            guard current.kind != .endOfInput else { throw unclosed("array", opener: open, closer: "]") }
            elements.append(try parseValue(depth: innerDepth))
            if current.kind == .comma {
                try advance()
            } else if current.kind != .rightBracket {
                throw current.kind == .endOfInput
                    ? unclosed("array", opener: open, closer: "]")
                    : error("expected ',' or ']' after the array element, found \(current.description)")
            }
        }
        try advance()
        return .array(elements)
    }

    private func unclosed(_ construct: String, opener: MongoToken, closer: String) -> MongoParseError {
        error(
            "expected '\(closer)' to close the \(construct) opened at \(source.describePosition(of: opener.start)), "
                + "found \(current.description)")
    }

    // MARK: - Literals

    private mutating func parseNegativeNumber() throws(MongoParseError) -> MongoValue {
        try advance()
        switch current.kind {
        case .number(let text):
            try advance()
            return Self.numberValue("-" + text)
        case .identifier("Infinity"):
            try advance()
            return .double(-.infinity)
        default:
            throw error("expected a number after '-', found \(current.description)")
        }
    }

    /// Keywords, shell helpers such as `ObjectId(...)`, and the names users type by mistake.
    private mutating func parseNamedValue(_ name: String, depth: Int) throws(MongoParseError) -> MongoValue {
        let simple: MongoValue? =
            switch name {
            case "true": .bool(true)
            case "false": .bool(false)
            case "null": .null
            case "Infinity": .double(.infinity)
            case "NaN": .double(.nan)
            default: nil
            }
        if let simple {
            try advance()
            return simple
        }
        if name == "undefined" {
            throw error("undefined is not supported; use null")
        }
        if name == "function" || peekNext()?.kind == .arrow {
            throw error(Self.javaScriptRefusal)
        }
        return try parseHelperCall(depth: depth)
    }

    /// At a `(` where a value belongs: is this `(a, b) => ...`? Scans to the matching `)`
    /// on a copy, iteratively, so deeply nested parentheses cannot exhaust the stack.
    private func startsArrowFunction() -> Bool {
        var lookahead = self
        var openParentheses = 0
        while true {
            switch lookahead.current.kind {
            case .leftParen: openParentheses += 1
            case .rightParen: openParentheses -= 1
            case .endOfInput: return false
            default: break
            }
            guard (try? lookahead.advance()) != nil else { return false }
            if openParentheses == 0 { return lookahead.current.kind == .arrow }
        }
    }
}
