import Foundation
import QueryGateCore

/// Rows as Slack's native `table` block (https://docs.slack.dev/reference/block-kit/blocks/table-block): at most
/// 100 rows (the header is one) of at most 20 `raw_text` cells, `column_settings` for at most 20 columns, one table
/// per message. Used for a PostgreSQL result when every row and column kept for the preview fits, every value whole
/// (the core's `PreviewRule` decides); otherwise the monospace preview (which is also the message's `text` fallback)
/// stands alone.
enum TableBlock {
    /// Types whose values line up by their last digit.
    static let numericTypes: Set<String> = ["smallint", "integer", "bigint", "real", "double precision", "numeric", "money", "oid"]

    /// The block, or nil when the preview does not fit whole (`PreviewRule.tableCells`).
    static func render(_ preview: ExecutionResult.Preview) -> JSONValue? {
        guard let cells = PreviewRule.tableCells(preview) else { return nil }
        let rows = cells.map { row in JSONValue.array(row.map { ["type": "raw_text", "text": .string($0)] }) }
        let settings = preview.columns.map { column -> JSONValue in
            ["align": numericTypes.contains(column.type) ? "right" : "left"]
        }
        return ["type": "table", "rows": .array(rows), "column_settings": .array(settings)]
    }
}
