import QueryGateCore
import Testing

@Suite("Trimming white space")
struct TrimmingTests {
    @Test("Both ends lose their white space, the middle keeps it", arguments: [
        ("  a b  ", "a b"), ("", ""), ("   ", ""), ("\n\tSELECT 1;\r\n", "SELECT 1;"), ("x", "x"), ("\u{00A0}é\u{0301} ", "é\u{0301}"),
        ("a\n\nb", "a\n\nb"), (" 😀 ", "😀"),
    ])
    func trims(_ text: String, _ expected: String) {
        #expect(text.trimmingSpaces() == expected)
        #expect(text[...].trimmingSpaces() == expected)
    }

    /// ASCII text is trimmed byte by byte: the same as by character, for every ASCII character at either end.
    @Test func asciiTextIsTrimmedAsCharactersWouldBe() {
        for code in 0..<0x80 {
            let character = Character(Unicode.Scalar(UInt8(code)))
            for text in ["\(character)a\(character)", "\(character)\(character)", "a\r\n\(character)", "\(character) b c \(character)\(character)"] {
                let byCharacter: String = {
                    guard let first = text.firstIndex(where: { !$0.isWhitespace }), let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
                    return String(text[first...last])
                }()
                #expect(text.trimmingSpaces() == byCharacter, "\(text.debugDescription)")
            }
        }
    }
}
