import Foundation
import QueryGateCore
import SlackGateway

/// A seeded source of hostile input for the fuzz tests: the same seed gives the same inputs, so a failure is
/// replayed with `QUERYGATE_FUZZ_SEED=<seed> scripts/test --filter Fuzz`. Each run lasts
/// `QUERYGATE_FUZZ_SECONDS` (3 s unless set) and at least `minimumInputs`, so that `scripts/test` stays bounded.
public struct Fuzz: Sendable {
    /// A run lasts its duration and sends at least this many inputs, however loaded the machine (a loaded one
    /// managed a dozen in 3 s, too few to mean anything).
    public static let minimumInputs = 60

    public let seed: UInt64
    public let duration: Duration
    private var state: UInt64

    public init(_ name: String) {
        let environment = ProcessInfo.processInfo.environment
        seed = environment["QUERYGATE_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        duration = .seconds(environment["QUERYGATE_FUZZ_SECONDS"].flatMap { Double($0) } ?? 3)
        state = seed
        print("fuzz \(name): seed \(seed), \(duration); replay with QUERYGATE_FUZZ_SEED=\(seed)")
    }

    /// SplitMix64: small, fast, and the same on every platform.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    public mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

    /// Text that has broken parsers and databases before.
    public static let hostileStrings: [String] = [
        "", " ", "\u{0}", "a\u{0}b", "\u{0}\u{0}\u{0}", "1e300", "-1e300", "-0", "0", "-1", "9223372036854775807", "9223372036854775808",
        "99999999999999999999999999", "NaN", "Infinity", "0x10", "1.5", "#1", "١٢", "%00", "%FF%FE", "%", "%%", "&", "=", "+",
        "' OR '1'='1", "'; DROP TABLE users; --", "$$", "\\", "\"", "```", "``````", "<script>", "&lt;", "\u{FEFF}", "\u{202E}abc",
        "e\u{301}\u{301}\u{301}", "😀👩‍👩‍👧‍👦", "\u{FFFF}", "\u{10FFFF}", "\r\n", "\t", "null", "true", "[]", "{}",
        "2026-01-01T25:00:00Z", "2026-02-30", "U0DEV0001", "C0PAYMENTS", "pg-main/customer_db", "status 1", "cancel -1", "help",
    ]

    public mutating func hostileString() -> String {
        switch below(10) {
        case 0: return String(repeating: pick(["a", "\u{0}", "é", "😀", "%"]), count: pick([1_000, 25_000, 60_000]))
        case 1: return pick(Self.hostileStrings) + pick(Self.hostileStrings)
        default: return pick(Self.hostileStrings)
        }
    }

    /// Any JSON value, of the wrong type as often as the right one.
    public mutating func hostileJSON(depth: Int = 0) -> JSONValue {
        switch below(depth > 3 ? 7 : 10) {
        case 0, 1, 2: return .string(hostileString())
        case 3: return .number(pick([1e300, -1e300, -0.0, 0, -1, 1, 2.5, 9.3e18, 9_223_372_036_854_775_808, 1e-300, 4_294_967_296]))
        case 4: return .bool(chance(50))
        case 5: return .null
        case 6: return .number(Double(below(5)))
        case 7: return .array((0..<below(4)).map { _ in hostileJSON(depth: depth + 1) })
        case 8: return .object(Dictionary((0..<below(4)).map { _ in (hostileString(), hostileJSON(depth: depth + 1)) }, uniquingKeysWith: { $1 }))
        default: return nested(pick([10, 200, 600]))
        }
    }

    /// `[[[…]]]` or `{"a":{"a":…}}`, `levels` deep.
    public mutating func nested(_ levels: Int) -> JSONValue {
        let array = chance(50)
        var value: JSONValue = .string("x")
        for _ in 0..<levels { value = array ? .array([value]) : .object(["a": value]) }
        return value
    }

    /// Bytes a JSON parser must refuse without falling over: invalid UTF-8, truncation, nesting far past any limit.
    public mutating func hostileJSONText() -> [UInt8] {
        switch below(7) {
        case 0: return Array(repeating: UInt8(ascii: "["), count: pick([1_000, 50_000, 200_000]))
        case 1: return Array((String(repeating: "{\"a\":", count: 20_000) + "1" + String(repeating: "}", count: 20_000)).utf8)
        case 2: return [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0xC3, 0x28, 0x22, 0x7D]
        case 3: return Array("{\"type\": \"block_actions\", \"user\": {\"id\": \"U0DEV0001\"".utf8)
        case 4: return Array("{\"a\": 1e999999, \"b\": -0, \"c\": 123456789012345678901234567890}".utf8)
        case 5: return (0..<below(300)).map { _ in UInt8(truncatingIfNeeded: next()) }
        default: return Array("{\"a\": \"\\ud800\", \"b\": \"\\u0000\", \"\\u0000\": 1}".utf8)
        }
    }

    /// `application/x-www-form-urlencoded`, percent-encoding every byte but letters and digits, as Slack does.
    public static func formEncode(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }.joined()
    }
}
