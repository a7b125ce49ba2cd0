import Foundation
@testable import SlackGateway
import Testing

/// `QueryCommand.fences(in:)` finds the first and last ```` ``` ```` of ASCII text by byte: the same ranges as
/// Foundation's search, on every string of backticks, letters, spaces and newlines up to eight long.
@Suite("The query's fences")
struct QueryCommandFenceTests {
    @Test func asciiFencesAreFoundWhereFoundationFindsThem() {
        let alphabet: [Character] = ["`", "a", " ", "\n"]
        var texts: [String] = [""]
        for _ in 0..<8 { texts += texts.suffix(4_096).flatMap { text in alphabet.map { text + String($0) } } }
        for text in Set(texts) {
            let substring = Substring(text)
            let found = QueryCommand.fences(in: substring)
            let first = substring.range(of: "```")
            let last = substring.range(of: "```", options: .backwards)
            #expect(found?.first == first, "\(text.debugDescription)")
            #expect(found?.last == last, "\(text.debugDescription)")
        }
    }

    @Test func textOutsideASCIIIsSearchedAsFoundationSearchesIt() {
        let text = Substring("pg/x é ```SELECT 'ü'``` ")
        #expect(QueryCommand.fences(in: text)?.first == text.range(of: "```"))
        #expect(QueryCommand.fences(in: text)?.last == text.range(of: "```", options: .backwards))
    }
}
