import Foundation
import QueryGateCore
@testable import SlackGateway
import Testing

/// `application/x-www-form-urlencoded` as Slack sends slash commands: QueryGate decodes it byte by byte, and must
/// read every body as Foundation's percent-decoding (with `+` as a space) reads it, and refuse what it refuses,
/// and escapes that decode to bytes that are not UTF-8 too.
@Suite("Decoding Slack's form bodies")
struct FormBodyTests {
    @Test func fieldsDecodeAsSlackEncodesThem() throws {
        let fields = try FormBody.fields(Array("user_id=U0DEV0001&text=a%2Fb+why%3F+%60%60%60SELECT+1+%2B+1%60%60%60&empty=&bare&check=%E2%9C%93".utf8))
        #expect(fields == ["user_id": "U0DEV0001", "text": "a/b why? ```SELECT 1 + 1```", "empty": "", "bare": "", "check": "✓"])
    }

    @Test("A broken escape or bytes that are not UTF-8 are refused", arguments: ["text=%", "text=%4", "text=%zz", "text=%FF", "text=%C3", "te%ZZxt=1"])
    func brokenEscapesAreRefused(_ body: String) {
        #expect(throws: ValidationError.self) { try FormBody.fields(Array(body.utf8)) }
    }

    @Test func aNULIsRefusedOnceDecoded() {
        #expect(throws: ValidationError.self) { try FormBody.fields(Array("text=a%00b".utf8)) }
    }

    /// Random text, encoded by Foundation, comes back as it was; random escapes decode as Foundation decodes them.
    @Test func decodesAsFoundationDoes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("aZ09 +%&=/?`'\"<>~\n\té✓€😀") + ["%2", "%41", "%e2%9c%93", "%ff", "%GG", "++"].flatMap(Array.init)
        for _ in 0..<2000 {
            let text = String((0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(FormBody.decode(ArraySlice(encoded.utf8)) == text)
            // Foundation (on Linux) makes bytes that are not UTF-8 U+FFFD; QueryGate refuses them instead.
            let foundation = text.isEmpty ? "" : text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            let expected = foundation?.contains("\u{FFFD}") == true ? nil : foundation
            #expect(FormBody.decode(ArraySlice(text.utf8)) == expected, "\(text.debugDescription)")
        }
    }
}
