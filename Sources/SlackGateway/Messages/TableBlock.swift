import Foundation
import QueryGateCore

/// Rows as Slack's native `table` block (https://docs.slack.dev/reference/block-kit/blocks/table-block): at most
/// 100 rows (the header is one) of at most 20 `raw_text` cells, `column_settings` for at most 20 columns, one table
/// per message. Used for a PostgreSQL result when every row and column kept for the preview fits, every value whole;
/// otherwise the monospace preview (which is also the message's `text` fallback) stands alone.
enum TableBlock {
    static let maximumRows = 100
    static let maximumColumns = 20
    /// QueryGate's own bound on a cell, so that one long value does not make a table of walls of text; a longer
    /// value goes to the monospace preview (cut) and the uploaded file (whole).
    static let maximumCellText = 500

    /// Types whose values line up by their last digit.
    static let numericTypes: Set<String> = ["smallint", "integer", "bigint", "real", "double precision", "numeric", "money", "oid"]

    /// The block, or nil when the preview does not fit whole.
    static func render(_ preview: ExecutionResult.Preview) -> JSONValue? {
        guard !preview.columns.isEmpty, preview.columns.count <= maximumColumns, preview.rows.count + 1 <= maximumRows,
              preview.rows.allSatisfy({ $0.count == preview.columns.count }) else { return nil }
        let header = preview.columns.map(\.name)
        let body = preview.rows.map { row in row.map { cellText($0) } }
        guard (body + [header]).allSatisfy({ $0.allSatisfy { $0.count <= maximumCellText } }) else { return nil }
        let rows = ([header] + body).map { row in JSONValue.array(row.map { ["type": "raw_text", "text": .string($0)] }) }
        let settings = preview.columns.map { column -> JSONValue in
            ["align": numericTypes.contains(column.type) ? "right" : "left"]
        }
        return ["type": "table", "rows": .array(rows), "column_settings": .array(settings)]
    }

    /// A cell as text: NULL as `NULL`, as in the monospace preview; an empty string as `''`, since Slack may refuse
    /// an empty text and a blank cell would read as NULL.
    static func cellText(_ value: String?) -> String {
        guard let value else { return "NULL" }
        let text = value.isEmpty ? "''" : value
        return text.replacingOccurrences(of: "\r\n", with: "↵").replacingOccurrences(of: "\n", with: "↵")
    }
}
