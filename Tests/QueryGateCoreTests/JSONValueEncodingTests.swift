import Foundation
import QueryGateCore
import Testing

/// `JSONValue.encoded()` writes its JSON itself; these hold it to the bytes `JSONEncoder` writes for the same value
/// with sorted keys and unescaped slashes, which QueryGate used before (Slack's answers, its Web API calls, the
/// modals' metadata), on every control character, text outside ASCII and random documents.
@Suite("JSON written as JSONEncoder writes it")
struct JSONValueEncodingTests {
    static func reference(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static func written(_ value: JSONValue) -> String { String(decoding: value.encoded(), as: UTF8.self) }

    @Test func everyCharacterIsWrittenAsJSONEncoderWritesIt() {
        var scalars = String.UnicodeScalarView((0..<0x80).map { Unicode.Scalar(UInt8($0)) })
        scalars.append(contentsOf: "\u{7F}\u{80}é€𝔱\u{2028}\u{2029}\u{FEFF}\u{301}/\\\"".unicodeScalars)
        let text = String(scalars)
        #expect(Self.written(.string(text)) == Self.reference(.string(text)))
        let document: JSONValue = ["a/b": .string(text), "\n": [1, .number(2.5), .number(-0.0), true, false, .null]]
        #expect(Self.written(document) == Self.reference(document))
    }

    @Test func keysAreSortedAsJSONEncoderSortsThem() {
        let keys = ["b", "a", "B", "_", "10", "9", "é", "aa", "A", "Z", "z", "ä", "a b", "", "𝔱", "\u{301}e", "Ω", "ſ", "ﬀ"]
        let object = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.string($0)) }))
        #expect(Self.written(object) == Self.reference(object))
    }

    @Test func numbersAreWrittenAsJSONEncoderWritesThem() {
        for number in [0, -0.0, 1, -1, 42, 1e14, 1e15, 1e16, -1e15, 0.1, 1.5, -2.25, 1e300, 3e-7, 123456789.125, 1.0 / 3, .pi, 5e-324,
                       Double.greatestFiniteMagnitude] {
            #expect(Self.written(.number(number)) == Self.reference(.number(number)), "\(number)")
        }
        var random = SplitMix64(seed: 0x51AC_4_0002)
        for _ in 0..<2_000 {
            let magnitude = pow(10, Double.random(in: -30...30, using: &random))
            for number in [magnitude, -magnitude.rounded(), (magnitude * 1e6).rounded() / 1e6] {
                #expect(Self.written(.number(number)) == Self.reference(.number(number)), "\(number)")
            }
        }
        // JSON has no NaN or infinity: JSONEncoder refused the document, and it is written as null.
        #expect(Self.written([.number(.nan)]) == "null")
        #expect(Self.written(["x": .number(.infinity)]) == "null")
    }

    @Test func randomDocumentsAreWrittenAsJSONEncoderWritesThem() {
        var random = SplitMix64(seed: 0x51AC_4_0001)
        let pieces: [String] = ["a", "Z", "/", "\\", "\"", "\n", "\t", "\u{0}", "\u{1F}", " ", "é", "€", "𝔱", "\u{2028}", "\u{301}", "<@U1>", "&amp;"]
        func text() -> String { (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined() }
        func value(depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &random) {
            case 0: return .string(text())
            case 1: return .number(Double(Int.random(in: -1_000_000...1_000_000, using: &random)))
            case 2: return .number(Double.random(in: -1e6...1e6, using: &random))
            case 3: return .bool(Bool.random(using: &random))
            case 4: return .null
            case 5: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in value(depth: depth + 1) })
            default:
                var members: [String: JSONValue] = [:]
                for _ in 0..<Int.random(in: 0...4, using: &random) { members[text()] = value(depth: depth + 1) }
                return .object(members)
            }
        }
        for _ in 0..<500 {
            let document = value(depth: 0)
            #expect(Self.written(document) == Self.reference(document))
        }
    }
}
