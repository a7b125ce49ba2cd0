/// The mongosh constructors a query may use to write BSON types JSON has no syntax for.
///
/// Each is evaluated here, at parse time, into a plain `MongoValue`; nothing is executed.
/// Helpers that would need the clock or randomness (`new Date()`, `ObjectId()`, `UUID()`)
/// are refused: an approved query must mean the same thing whenever it runs.
enum MongoShellHelper: String, CaseIterable {
    case objectId = "ObjectId"
    case isoDate = "ISODate"
    case date = "Date"
    case numberLong = "NumberLong"
    case long = "Long"
    case numberInt = "NumberInt"
    case int32 = "Int32"
    case double = "Double"
    case numberDecimal = "NumberDecimal"
    case decimal128 = "Decimal128"
    case timestamp = "Timestamp"
    case binData = "BinData"
    case uuid = "UUID"
    case minKey = "MinKey"
    case maxKey = "MaxKey"
    case regExp = "RegExp"

    /// How the helper is called, shown when the arguments are wrong.
    var usage: String {
        switch self {
        case .objectId: "ObjectId(\"65a1f0c2e4b0a1b2c3d4e5f6\")"
        case .isoDate: "ISODate(\"2024-01-02T03:04:05Z\")"
        case .date: "new Date(\"2024-01-02T03:04:05Z\")"
        case .numberLong, .long: "\(rawValue)(\"9007199254740993\")"
        case .numberInt, .int32: "\(rawValue)(42)"
        case .double: "Double(1.5)"
        case .numberDecimal, .decimal128: "\(rawValue)(\"1.10\")"
        case .timestamp: "Timestamp(1700000000, 1) or Timestamp({t: 1700000000, i: 1})"
        case .binData: "BinData(0, \"aGVsbG8=\")"
        case .uuid: "UUID(\"c8edabc3-f738-4ca3-b68d-ab92a91478a3\")"
        case .minKey, .maxKey: "\(rawValue)()"
        case .regExp: "RegExp(\"^abc\", \"i\")"
        }
    }

    static let supportedList = allCases.map(\.rawValue).joined(separator: ", ")
}

extension MongoTokenStream {
    /// `Name(args)` or `new Name(args)`; the current token is the name or `new`.
    mutating func parseHelperCall(depth: Int) throws(MongoParseError) -> MongoValue {
        let usesNew = current.kind == .identifier("new")
        if usesNew { try advance() }
        guard case .identifier(let name) = current.kind else {
            throw error("expected a constructor such as ObjectId after 'new', found \(current.description)")
        }
        let followedByCall = peekNext()?.kind == .leftParen
        guard let helper = MongoShellHelper(rawValue: name) else {
            throw followedByCall
                ? error("unknown function \(name)(); supported helpers are \(MongoShellHelper.supportedList)")
                : error("unexpected name '\(name)'; strings must be quoted, as in \"\(name)\"")
        }
        guard followedByCall else { throw error("expected '(' after \(name), as in \(helper.usage)") }
        if helper == .date && !usesNew {
            throw error("Date(...) without 'new' returns a string in JavaScript; use new Date(...) or ISODate(...)")
        }
        try advance()
        let arguments = try parseArguments(depth: nestedDepth(depth))
        return try MongoHelperCall(helper: helper, arguments: arguments, source: source)
            .evaluate()
    }
}

/// One helper call's arguments being turned into a value.
private struct MongoHelperCall {
    let helper: MongoShellHelper
    let arguments: MongoCallArguments

    init(helper: MongoShellHelper, arguments: MongoArgumentList, source: MongoSourceText) {
        self.helper = helper
        self.arguments = MongoCallArguments(
            callee: helper.rawValue, usage: helper.usage, list: arguments, source: source)
    }

    func evaluate() throws(MongoParseError) -> MongoValue {
        switch helper {
        case .objectId:
            let argument = try single(missingNote: " (a new random ObjectId is never generated)")
            let hex = try arguments.string(argument)
            guard let id = MongoObjectID(hex: hex) else {
                throw arguments.error(
                    "invalid ObjectId \(MongoToken.quoted(hex)): expected 24 hex digits", at: argument.offset)
            }
            return .objectId(id)
        case .isoDate, .date:
            let argument = try single(missingNote: " (the current time is never filled in)")
            return .date(millisecondsSinceEpoch: try dateMilliseconds(argument))
        case .numberLong, .long:
            return .int64(try arguments.integer(single(), in: Int64.min...Int64.max))
        case .numberInt, .int32:
            return .int32(Int32(try arguments.integer(single(), in: Int64(Int32.min)...Int64(Int32.max))))
        case .double:
            return .double(try double(single()))
        case .numberDecimal, .decimal128:
            return .decimal128(try decimalText(single()))
        case .timestamp:
            return try timestamp()
        case .binData:
            let list = try arguments.requireCount(2...2)
            let subtype = UInt8(try arguments.integer(list[0], in: 0...255))
            guard let bytes = MongoBase64.decode(try arguments.string(list[1])) else {
                throw arguments.error("invalid base64 data in BinData", at: list[1].offset)
            }
            return .binary(subtype: subtype, bytes: bytes)
        case .uuid:
            let argument = try single(missingNote: " (a new random UUID is never generated)")
            let text = try arguments.string(argument)
            guard let bytes = MongoUUIDText.bytes(text) else {
                throw arguments.error(
                    "invalid UUID \(MongoToken.quoted(text)): expected 32 hex digits", at: argument.offset)
            }
            return .binary(subtype: 4, bytes: bytes)
        case .minKey, .maxKey:
            try arguments.requireCount(0...0)
            return helper == .minKey ? .minKey : .maxKey
        case .regExp:
            return try regularExpression()
        }
    }

    private func single(missingNote: String = "") throws(MongoParseError) -> MongoArgument {
        try arguments.requireCount(1...1, missingNote: missingNote)[0]
    }

    private func double(_ argument: MongoArgument) throws(MongoParseError) -> Double {
        switch argument.value {
        case .double(let value): return value
        case .int32(let value): return Double(value)
        case .int64(let value): return Double(value)
        default: throw arguments.error("Double expects a number; use \(helper.usage)", at: argument.offset)
        }
    }

    /// Strings keep every digit; whole numbers are exact too. A fractional number literal is
    /// refused because it has already been rounded to binary floating point.
    private func decimalText(_ argument: MongoArgument) throws(MongoParseError) -> String {
        switch argument.value {
        case .string(let text) where MongoNumberText.isDecimal128(text): return text
        case .int32(let value): return String(value)
        case .int64(let value): return String(value)
        case .double:
            throw arguments.error(
                "pass the decimal as a string, as in \(helper.usage), so no digits are lost", at: argument.offset)
        default:
            throw arguments.error(
                "\(helper.rawValue) expects a decimal number with at most 34 significant digits, as in \(helper.usage)",
                at: argument.offset)
        }
    }

    private func dateMilliseconds(_ argument: MongoArgument) throws(MongoParseError) -> Int64 {
        if case .string(let text) = argument.value {
            guard let milliseconds = MongoDateConversion.milliseconds(fromISO8601: text) else {
                throw arguments.error(
                    "invalid date \(MongoToken.quoted(text)): expected ISO-8601 such as 2024-01-02 or "
                        + "2024-01-02T03:04:05.000Z", at: argument.offset)
            }
            return milliseconds
        }
        guard let milliseconds = argument.value.exactInteger else {
            throw arguments.error(
                "\(helper.rawValue) expects an ISO-8601 string or milliseconds since 1970; use \(helper.usage)",
                at: argument.offset)
        }
        return milliseconds
    }

    /// `Timestamp(t, i)` or `Timestamp({t, i})`.
    private func timestamp() throws(MongoParseError) -> MongoValue {
        let list = try arguments.requireCount(1...2)
        let parts: (seconds: MongoValue, increment: MongoValue)
        if list.count == 2 {
            parts = (list[0].value, list[1].value)
        } else if case .document(let body) = list[0].value, body.count == 2, let t = body["t"], let i = body["i"] {
            parts = (t, i)
        } else {
            throw arguments.error("Timestamp expects seconds and an increment; use \(helper.usage)", at: list[0].offset)
        }
        let range = Int64(UInt32.min)...Int64(UInt32.max)
        let seconds = try arguments.integer(MongoArgument(value: parts.seconds, offset: list[0].offset), in: range)
        let increment = try arguments.integer(
            MongoArgument(value: parts.increment, offset: list[list.count - 1].offset), in: range)
        return .timestamp(seconds: UInt32(seconds), increment: UInt32(increment))
    }

    private func regularExpression() throws(MongoParseError) -> MongoValue {
        let list = try arguments.requireCount(1...2)
        let pattern = try arguments.string(list[0])
        guard list.count == 2 else { return .regex(pattern: pattern, options: "") }
        let flags = try arguments.string(list[1])
        do throws(MongoRegexOptions.InvalidFlag) {
            return .regex(pattern: pattern, options: try MongoRegexOptions.fromJavaScriptFlags(flags))
        } catch {
            throw arguments.error(error.message, at: list[1].offset)
        }
    }
}
