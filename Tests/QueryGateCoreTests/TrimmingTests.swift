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
}
