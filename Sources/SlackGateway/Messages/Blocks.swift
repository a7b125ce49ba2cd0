import Foundation
import Logging
import QueryGateCore

/// Block Kit building blocks, kept within Slack's limits: 50 blocks a message, 3000 characters in a section's
/// text, 150 in a header (https://api.slack.com/reference/block-kit/blocks).
enum Blocks {
    static let maximumBlocks = 50
    static let maximumSectionText = PreviewRule.maximumSectionText
    static let maximumHeaderText = 150

    static func header(_ text: String) -> JSONValue {
        ["type": "header", "text": ["type": "plain_text", "text": .string(fit(text, Self.maximumHeaderText)), "emoji": true]]
    }

    static func section(_ markdown: String) -> JSONValue {
        ["type": "section", "text": ["type": "mrkdwn", "text": .string(fit(markdown, Self.maximumSectionText))]]
    }

    /// Two-column facts; Slack allows 10 fields of 2000 characters.
    static func fields(_ pairs: [(String, String)]) -> JSONValue {
        ["type": "section", "fields": .array(pairs.prefix(10).map { label, value in
            ["type": "mrkdwn", "text": .string(fit("*\(label)*\n\(value)", 2000))]
        })]
    }

    static func context(_ markdown: String) -> JSONValue {
        ["type": "context", "elements": [["type": "mrkdwn", "text": .string(fit(markdown, Self.maximumSectionText))]]]
    }

    static func divider() -> JSONValue { ["type": "divider"] }

    static func button(_ text: String, actionID: String, value: String, style: String? = nil) -> JSONValue {
        var button: [String: JSONValue] = [
            "type": "button", "text": ["type": "plain_text", "text": .string(text), "emoji": true], "action_id": .string(actionID),
            "value": .string(value),
        ]
        if let style { button["style"] = .string(style) }
        return .object(button)
    }

    static func actions(blockID: String, _ elements: [JSONValue]) -> JSONValue {
        ["type": "actions", "block_id": .string(blockID), "elements": .array(elements)]
    }

    /// `text` cut to `limit` characters, with an ellipsis when cut.
    static func fit(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// Text a user typed, made safe for mrkdwn: Slack reads `&`, `<` and `>` as markup. The core's, so that what
    /// `PreviewRule` counts is what a reply sends.
    static func escape(_ text: String) -> String { PreviewRule.escape(text) }

    /// `code` in a code block of at most `limit` characters, shortened with a note when it does not. A ``` inside the
    /// code would end the block early, so it is broken with a zero-width space.
    static func codeBlock(_ code: String, within limit: Int, note: (Int) -> String) -> String {
        let safe = escape(code).replacingOccurrences(of: "```", with: "``\u{200B}`")
        let wrapped = "```\(safe)```"
        if wrapped.count <= limit { return wrapped }
        let suffix = "\n_" + note(code.count) + "_"
        let room = limit - suffix.count - 7
        return "```\(safe.prefix(room))…```" + suffix
    }

    /// A count as people read it, whatever the server's locale: 50,000.
    static func count(_ number: Int) -> String {
        let digits = String(number.magnitude)
        let grouped = digits.reversed().enumerated().map { $0.offset > 0 && $0.offset % 3 == 0 ? ",\($0.element)" : "\($0.element)" }
        return (number < 0 ? "-" : "") + String(grouped.joined().reversed())
    }

    /// `code` whole, as code blocks of at most `each` characters: cut at a line end where one is in the block's
    /// second half, never inside a character escaped for mrkdwn (`&amp;`), with ``` broken as in `codeBlock`.
    static func codeBlocks(_ code: String, each limit: Int) -> [String] {
        var units: [String] = []
        var backticks = 0
        for character in code {
            backticks = character == "`" ? backticks + 1 : 0
            units.append(backticks == 3 ? "\u{200B}`" : escape(String(character)))
            if backticks == 3 { backticks = 1 }
        }
        let room = limit - 6
        var parts: [String] = []
        var current: [String] = []
        var length = 0
        for unit in units {
            if length + unit.count > room {
                var carried: [String] = []
                if let newline = current.lastIndex(of: "\n"), newline >= current.count / 2 {
                    carried = Array(current[(newline + 1)...])
                    current = Array(current[...newline])
                }
                parts.append(current.joined())
                current = carried
                length = carried.map(\.count).reduce(0, +)
            }
            current.append(unit)
            length += unit.count
        }
        parts.append(current.joined())
        return parts.map { "```\($0)```" }
    }

    /// A user mention, or the plain name when there is no Slack id.
    static func mention(_ slackID: String?, name: String) -> String {
        slackID.map { "<@\($0)>" } ?? escape(name)
    }
}
