import Foundation

/// An aligned, monospace table of result rows, as psql prints one, cut to fit a Slack section: columns at most
/// `maximumColumnWidth` wide (longer values end in …), as many columns as fit `maximumLineWidth`, as many rows as
/// fit `budget` characters. NULL is shown as `NULL`; line breaks as `↵`.
public enum PreviewTable {
    public static let maximumColumnWidth = 30
    public static let maximumLineWidth = 110

    /// The text (escaped for mrkdwn), and how many of the preview's rows and columns it shows.
    public struct Rendered: Sendable, Equatable {
        public let text: String
        public let rows: Int
        public let columns: Int
    }

    public static func render(_ preview: ExecutionResult.Preview, budget: Int) -> Rendered {
        let cells = preview.rows.map { row in row.map { cell($0) } }
        var widths: [Int] = []
        var lineWidth = 0
        for (index, column) in preview.columns.enumerated() {
            let width = min(maximumColumnWidth, max(column.name.count, cells.map { index < $0.count ? $0[index].count : 0 }.max() ?? 0))
            let added = width + (widths.isEmpty ? 0 : 3)
            if !widths.isEmpty && lineWidth + added > maximumLineWidth { break }
            widths.append(width)
            lineWidth += added
        }
        func line(_ values: [String]) -> String {
            zip(values, widths).map { value, width in pad(fit(value, width), width) }.joined(separator: " | ")
                .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var lines = [line(preview.columns.map(\.name)), widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-")]
        var used = lines.map { PreviewRule.escape($0).count + 1 }.reduce(0, +)
        var shown = 0
        for row in cells {
            let text = line(row)
            let cost = PreviewRule.escape(text).count + 1
            if used + cost > budget { break }
            lines.append(text)
            used += cost
            shown += 1
        }
        if preview.rows.isEmpty { lines.append("(0 rows)") }
        return Rendered(text: PreviewRule.escape(lines.joined(separator: "\n")), rows: shown, columns: widths.count)
    }

    static func cell(_ value: String?) -> String {
        guard let value else { return "NULL" }
        return value.replacingOccurrences(of: "\r\n", with: "↵").replacingOccurrences(of: "\n", with: "↵")
    }

    static func fit(_ value: String, _ width: Int) -> String {
        value.count <= width ? value : String(value.prefix(width - 1)) + "…"
    }

    static func pad(_ value: String, _ width: Int) -> String {
        value + String(repeating: " ", count: max(0, width - value.count))
    }
}

extension PreviewTable {
    /// One value per line (MongoDB documents as relaxed Extended JSON), each cut to `maximumLineWidth`, as many
    /// lines as fit `budget` characters.
    public static func renderLines(_ preview: ExecutionResult.Preview, budget: Int) -> Rendered {
        var lines: [String] = []
        var used = 0
        for row in preview.rows {
            var line = (row.first ?? nil) ?? "null"
            if line.count > maximumLineWidth { line = String(line.prefix(maximumLineWidth - 1)) + "…" }
            guard used + line.count + 1 <= budget else { break }
            lines.append(line)
            used += line.count + 1
        }
        return Rendered(text: lines.joined(separator: "\n"), rows: lines.count, columns: preview.columns.count)
    }
}

extension PreviewTable {
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
