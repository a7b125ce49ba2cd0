/// One BSON value, as parsed from mongosh syntax or Extended JSON and as sent to the server.
///
/// The cases mirror the BSON types a query can reasonably contain. Deprecated BSON types
/// (undefined, symbol, DBPointer) and JavaScript code are deliberately absent: nothing in a
/// QueryGate request may produce them.
public indirect enum MongoValue: Sendable, Hashable {
    case double(Double)
    case string(String)
    case document(MongoDocument)
    case array([MongoValue])
    case binary(subtype: UInt8, bytes: [UInt8])
    case objectId(MongoObjectID)
    case bool(Bool)
    case date(millisecondsSinceEpoch: Int64)
    case null
    /// `options` holds BSON regex flags in alphabetical order, as the BSON spec requires.
    case regex(pattern: String, options: String)
    case int32(Int32)
    case int64(Int64)
    /// The decimal's text as the user wrote it (validated); libbson converts it with
    /// `bson_decimal128_from_string`, so no Decimal128 arithmetic is needed here.
    case decimal128(String)
    case timestamp(seconds: UInt32, increment: UInt32)
    case minKey
    case maxKey
}

extension MongoValue {
    /// The wrapped document, or nil for any other kind of value.
    public var documentValue: MongoDocument? {
        if case .document(let document) = self { return document }
        return nil
    }

    /// True for documents and arrays: the values that contain other values.
    public var isContainer: Bool {
        switch self {
        case .document, .array: true
        default: false
        }
    }

    /// The value as an exact integer when it is a whole number of any numeric BSON type.
    ///
    /// mongosh users write `limit(5)`, `NumberLong(5)` or `5.0` interchangeably, so integer
    /// arguments accept all of them as long as nothing is lost.
    public var exactInteger: Int64? {
        switch self {
        case .int32(let value): Int64(value)
        case .int64(let value): value
        case .double(let value): Int64(exactly: value)
        default: nil
        }
    }
}

/// Literal conformances keep tests and command building readable: `["limit": 1]`.
extension MongoValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }

    /// Integer literals become int32 when they fit, else int64 — the same rule the parser uses.
    public init(integerLiteral value: Int64) {
        self = Int32(exactly: value).map(MongoValue.int32) ?? .int64(value)
    }

    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: MongoValue...) { self = .array(elements) }

    public init(dictionaryLiteral elements: (String, MongoValue)...) {
        self = .document(MongoDocument(elements))
    }
}

/// An ordered BSON document. Order matters to MongoDB (command names come first, sort keys
/// are applied in order), so this is a list of fields rather than a dictionary.
public struct MongoDocument: Sendable, Hashable {
    public struct Field: Sendable, Hashable {
        public var key: String
        public var value: MongoValue
        /// Where the key was written in the request, when it came from one: so that a policy refusal can point at
        /// it as the parser's errors do. Not part of equality (a document is its keys and values).
        public var position: MongoSourcePosition?

        public init(key: String, value: MongoValue, position: MongoSourcePosition? = nil) {
            self.key = key
            self.value = value
            self.position = position
        }

        public static func == (lhs: Field, rhs: Field) -> Bool { lhs.key == rhs.key && lhs.value == rhs.value }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(key)
            hasher.combine(value)
        }
    }

    public private(set) var fields: [Field]

    public init() { fields = [] }

    /// Keeps the fields in the given order. Callers are responsible for unique keys; the
    /// parser rejects duplicates before building a document.
    public init(_ fields: [(String, MongoValue)]) {
        self.fields = fields.map { Field(key: $0.0, value: $0.1) }
    }

    /// Keeps the fields, with their positions, in the given order.
    init(fields: [Field]) {
        self.fields = fields
    }

    public var keys: [String] { fields.map(\.key) }
    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    /// The value of the first field named `key`, or nil when there is none.
    public subscript(key: String) -> MongoValue? {
        fields.first { $0.key == key }?.value
    }

    /// Adds a field at the end, keeping insertion order.
    public mutating func append(_ key: String, _ value: MongoValue) {
        fields.append(Field(key: key, value: value))
    }

    /// Adds a field at the end only when there is a value, for optional command arguments.
    mutating func append(_ key: String, ifPresent value: MongoValue?) {
        if let value { append(key, value) }
    }
}

extension MongoDocument: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, MongoValue)...) {
        self.init(elements)
    }
}

/// A 1-based line and column in a request's text.
public struct MongoSourcePosition: Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }
}

/// A 12-byte BSON ObjectId, written as 24 lowercase hex digits.
public struct MongoObjectID: Sendable, Hashable, CustomStringConvertible {
    /// Always exactly 12 bytes.
    public let bytes: [UInt8]

    /// Parses 24 hex digits in either case; nil for anything else.
    public init?(hex: String) {
        guard let bytes = MongoHex.decode(hex), bytes.count == 12 else { return nil }
        self.bytes = bytes
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 12 else { return nil }
        self.bytes = bytes
    }

    public var hexString: String { MongoHex.encode(bytes) }
    public var description: String { hexString }
}

/// Hex conversion shared by ObjectId, UUID and binary subtypes.
enum MongoHex {
    private static let digits = Array("0123456789abcdef")

    static func encode(_ bytes: [UInt8]) -> String {
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }

    /// Decodes an even number of ASCII hex digits (either case); nil on any other character.
    static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var pendingHighNibble: UInt8?
        for character in text {
            guard let nibble = value(of: character) else { return nil }
            if let high = pendingHighNibble {
                bytes.append(high << 4 | nibble)
                pendingHighNibble = nil
            } else {
                pendingHighNibble = nibble
            }
        }
        return pendingHighNibble == nil ? bytes : nil
    }

    /// The value of one ASCII hex digit. (`Character.hexDigitValue` also accepts full-width
    /// digits, which no ObjectId or UUID contains.)
    static func value(of character: Character) -> UInt8? {
        guard let ascii = character.asciiValue else { return nil }
        switch ascii {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return ascii - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return ascii - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return ascii - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
