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

/// The byte-wise rules for ASCII text decide as the character-wise ones they replaced, for every ASCII character
/// in every position that matters, and for text that is not ASCII.
@Suite("Words and names read by byte")
struct ByteWiseRulesTests {
    static let samples: [String] = {
        var texts: [String] = ["", "a", "pg-main", "pg.main_2", "é", "pg-mainé", "\u{00A0}x", "x\u{00A0}y", "a\r\nb", "😀", String(repeating: "a", count: 63),
                               String(repeating: "a", count: 64), String(repeating: "é", count: 63)]
        for code in 0..<0x80 {
            let character = String(Character(Unicode.Scalar(UInt8(code))))
            texts += [character, "\(character)a", "a\(character)", "a\(character)b", "\(character)\(character)"]
        }
        return texts
    }()

    @Test func theFirstWordEndsWhereTheFirstWhiteCharacterStarts() {
        for text in Self.samples + ["select 1", "pg-main/db reason ```x```", "a\tb", "a\r\n b", "é b", "\u{2003}a b"] {
            #expect(text.upToFirstSpace() == text.prefix { !$0.isWhitespace }, "\(text.debugDescription)")
            #expect(text[...].upToFirstSpace() == text.prefix { !$0.isWhitespace }, "\(text.debugDescription)")
        }
    }

    @Test func instanceNamesAreAcceptedAsTheCharacterRuleAcceptedThem() {
        for text in Self.samples {
            let byCharacter = (1...63).contains(text.count)
                && text.first.map { $0.isASCII && ($0.isLetter || $0.isNumber) } == true
                && text.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" || $0 == "." }
            #expect(((try? InstanceName(text)) != nil) == byCharacter, "\(text.debugDescription)")
        }
    }

    @Test func databaseNamesAreAcceptedAsTheCharacterRuleAcceptedThem() {
        for text in Self.samples {
            let byCharacter = (1...63).contains(text.count) && !text.contains("/") && !text.contains(where: \.isWhitespace)
            #expect(((try? DatabaseName(text)) != nil) == byCharacter, "\(text.debugDescription)")
        }
    }
}
