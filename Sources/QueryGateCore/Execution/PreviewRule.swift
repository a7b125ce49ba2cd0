import Foundation

/// What the reply to a request shows of its result, and so whether the full result must be uploaded beside it.
///
/// A PostgreSQL result shows as a table of every kept row and column, each value whole, when it fits Slack's `table`
/// block and QueryGate's bound on a cell; MongoDB documents show pretty-printed and whole when they fit a few code
/// blocks, none split; otherwise a monospace preview, cut to fit one section (`PreviewTable`), stands in. The executor
/// (whether to upload the full result) and the Slack reply (`ResultMessage`, which renders what this decides) both
/// follow this one rule, so a reply never says "attached" without a file, nor leaves a row out without one.
///
/// The bounds are Slack's (3,000 characters of mrkdwn a section, in which `&`, `<` and `>` are escaped; 100 rows of
/// 20 cells a table) and QueryGate's own (500 characters a cell, five sections of documents), so this one place of
/// the core knows how Slack counts; it does no I/O and renders no Block Kit.
public enum PreviewRule {
    /// Slack's limit on a section's text.
    public static let maximumSectionText = 3000
    /// Slack's `table` block: at most 100 rows (the header is one) of at most 20 cells.
    public static let maximumTableRows = 100
    public static let maximumTableColumns = 20
    /// QueryGate's own bound on a table cell, so that one long value does not make a table of walls of text; a longer
    /// value goes to the monospace preview (cut) and the uploaded file (whole).
    public static let maximumCellText = 500
    /// Five sections keep a reply of documents to about 15,000 characters: a screenful or two, far below Slack's 50 blocks.
    public static let maximumDocumentSections = 5

    /// Whether the reply shows every row kept, whole (no row left out, no value cut). When it does not, the executor
    /// keeps the full result for upload beside it.
    public static func showsWhole(_ preview: ExecutionResult.Preview, databaseType: DatabaseType) -> Bool {
        guard preview.rowsKept == preview.rows.count else { return false }
        switch databaseType {
        case .mongodb: return documentSections(preview) != nil
        case .postgresql:
            if tableCells(preview) != nil { return true }
            let table = monospace(preview, databaseType: databaseType)
            return table.rows == preview.rows.count && table.columns == preview.columns.count
                && !preview.rows.contains { $0.contains { ($0?.count ?? 0) > PreviewTable.maximumColumnWidth } }
        }
    }

    /// The table's cells, the header row first, or nil when the preview does not fit a table whole.
    public static func tableCells(_ preview: ExecutionResult.Preview) -> [[String]]? {
        guard !preview.columns.isEmpty, preview.columns.count <= maximumTableColumns, preview.rows.count + 1 <= maximumTableRows,
              preview.rows.allSatisfy({ $0.count == preview.columns.count }) else { return nil }
        let cells = [preview.columns.map(\.name)] + preview.rows.map { row in row.map { tableCell($0) } }
        guard cells.allSatisfy({ $0.allSatisfy { $0.count <= maximumCellText } }) else { return nil }
        return cells
    }

    /// A cell as text: NULL as `NULL`, as in the monospace preview; an empty string as `''`, since Slack may refuse
    /// an empty text and a blank cell would read as NULL.
    public static func tableCell(_ value: String?) -> String {
        guard let value else { return "NULL" }
        let text = value.isEmpty ? "''" : value
        return text.replacingOccurrences(of: "\r\n", with: "↵").replacingOccurrences(of: "\n", with: "↵")
    }

    /// The code blocks (mrkdwn) showing every document of `preview` whole, or nil when they do not fit
    /// `maximumDocumentSections` sections with no document split across two.
    public static func documentSections(_ preview: ExecutionResult.Preview) -> [String]? {
        let room = maximumSectionText - 6
        var sections: [String] = []
        var current = ""
        for row in preview.rows {
            let document = escape(PreviewTable.pretty((row.first ?? nil) ?? "null")).replacingOccurrences(of: "```", with: "``\u{200B}`")
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
        return sections.count <= maximumDocumentSections ? sections.map { "```\($0)```" } : nil
    }

    /// The monospace preview, escaped for mrkdwn, to fit one section's code block: MongoDB documents one per line,
    /// PostgreSQL rows as psql's table.
    public static func monospace(_ preview: ExecutionResult.Preview, databaseType: DatabaseType) -> PreviewTable.Rendered {
        databaseType == .mongodb
            ? PreviewTable.renderLines(preview, budget: maximumSectionText - 8)
            : PreviewTable.render(preview, budget: maximumSectionText - 8)
    }

    /// Text made safe for Slack's mrkdwn, which reads `&`, `<` and `>` as markup. The Slack gateway escapes with this,
    /// so that what the rule counts is what the reply sends.
    public static func escape(_ text: String) -> String {
        // Most text has none of the three: it is returned without passing through Foundation.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) else { return text }
        return text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
