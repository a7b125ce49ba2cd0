import Foundation
import QueryGateCore

/// MongoDB documents in the thread, pretty-printed and whole: a short result reads in full, with no file beside it.
/// Only when the kept documents do not fit (`maximumSections` code blocks of Slack's 3000 characters, no document
/// split across two) does the thread fall back to one cut line per document, with the full result uploaded.
enum DocumentPreview {
    /// Five sections keep a reply to about 15,000 characters: a screenful or two, far below Slack's 50 blocks.
    static let maximumSections = 5

    /// The code blocks showing every document of `preview` whole, or nil when they do not fit.
    static func sections(_ preview: ExecutionResult.Preview) -> [String]? {
        let room = Blocks.maximumSectionText - 6
        var sections: [String] = []
        var current = ""
        for row in preview.rows {
            let document = Blocks.escape(pretty((row.first ?? nil) ?? "null")).replacingOccurrences(of: "```", with: "``\u{200B}`")
            guard document.count <= room else { return nil }
            if current.isEmpty {
                current = document
            } else if current.count + 1 + document.count <= room {
                current += "\n" + document
            } else {
                sections.append(current)
                current = document
            }
        }
        if !current.isEmpty || sections.isEmpty { sections.append(current.isEmpty ? "(no documents)" : current) }
        return sections.count <= maximumSections ? sections.map { "```\($0)```" } : nil
    }

    /// JSON text re-indented by two spaces, keys in their order (a document's `_id` stays first). Text that is not
    /// JSON comes back with only its spacing outside strings changed.
    static func pretty(_ json: String) -> String {
        var output = ""
        var depth = 0
        var inString = false
        var escaped = false
        let characters = Array(json)
        func newline() { output += "\n" + String(repeating: "  ", count: depth) }
        for (index, character) in characters.enumerated() {
            if inString {
                output.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"":
                inString = true
                output.append(character)
            case "{", "[":
                output.append(character)
                let next = characters[(index + 1)...].first { !$0.isWhitespace }
                if next == "}" || next == "]" { continue }
                depth += 1
                newline()
            case "}", "]":
                let previous = output.last { !$0.isWhitespace }
                if previous != "{" && previous != "[" {
                    depth = max(0, depth - 1)
                    while output.last?.isWhitespace == true { output.removeLast() }
                    newline()
                }
                output.append(character)
            case ",":
                output.append(character)
                newline()
            case ":":
                output += ": "
            case _ where character.isWhitespace:
                continue
            default:
                output.append(character)
            }
        }
        return output
    }
}
