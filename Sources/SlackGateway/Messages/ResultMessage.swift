import Foundation
import QueryGateCore

/// The reply in the approval message's thread once a request has run: the outcome with both durations, what each
/// statement did, a preview of the rows (Slack's `table` block where it fits, MongoDB documents whole where they
/// fit, else an aligned monospace table, which is also the notification text), and the error as the database gave it.
/// What the preview shows, and so whether a file is uploaded beside it, is the core's `PreviewRule`, which the
/// executor follows too.
public enum ResultMessage {
    public static func render(_ request: RequestDetails) -> (text: String, blocks: [JSONValue]) {
        switch request.outcome {
        case .completed(let result)?: return completed(request, result)
        case .failed(let failure)?: return failed(request, failure)
        case nil: return ("Request #\(request.id) has no result yet.", [Blocks.section("Request #\(request.id) has no result yet.")])
        }
    }

    static func completed(_ request: RequestDetails, _ result: ExecutionResult) -> (text: String, blocks: [JSONValue]) {
        let commands = result.statements.map { "`\(Blocks.escape($0.command))`" }.joined(separator: " · ")
        let timing = timing(request, statementMilliseconds: result.milliseconds)
        let headline = "✅ *Request #\(request.id) completed* (\(timing)): \(commands)"
        var blocks = [Blocks.section(headline)]
        var text = "Request #\(request.id) completed (\(timing))"
        if let preview = result.preview {
            let table = PreviewRule.monospace(preview, databaseType: request.databaseType)
            // The monospace preview is the notification text in any case, and the blocks' preview when the native
            // table (PostgreSQL) or the whole documents (MongoDB) do not fit.
            text += "\n```\(table.text)```"
            let shown: (rows: Int, columns: Int)
            if request.databaseType == .mongodb, preview.rowsKept == preview.rows.count, let documents = PreviewRule.documentSections(preview) {
                blocks.append(contentsOf: documents.map(Blocks.section))
                shown = (preview.rows.count, preview.columns.count)
            } else if request.databaseType == .postgresql, let native = TableBlock.render(preview) {
                blocks.append(native)
                shown = (preview.rows.count, preview.columns.count)
            } else {
                blocks.append(Blocks.section("```\(table.text)```"))
                shown = (table.rows, table.columns)
            }
            var notes: [String] = []
            if preview.totalRows > shown.rows { notes.append("\(Blocks.count(preview.totalRows)) rows, \(Blocks.count(shown.rows)) shown") }
            if shown.columns < preview.columns.count { notes.append("\(preview.columns.count - shown.columns) of \(preview.columns.count) columns not shown") }
            if preview.isTruncated {
                notes.append("QueryGate kept only the first \(Blocks.count(preview.rowsKept)) rows (its row or size limit)")
            }
            if result.exportBytes != nil, !PreviewRule.showsWhole(preview, databaseType: request.databaseType) {
                notes.append("\(exportedRows(preview)) attached as \(request.databaseType.exportFormat.label)")
            }
            if !notes.isEmpty { blocks.append(Blocks.context(notes.joined(separator: "; ") + ".")) }
        }
        if !result.notices.isEmpty {
            blocks.append(Blocks.context(Blocks.escape(result.notices.prefix(5).joined(separator: "\n"))))
        }
        return (text, blocks)
    }

    /// What an export holds: "the full result is", or "the first 1,000 of 50,000 rows are" when the cap cut it.
    public static func exportedRows(_ preview: ExecutionResult.Preview?) -> String {
        guard let preview else { return "the full result is" }
        return preview.isTruncated
            ? "the first \(Blocks.count(preview.rowsKept)) of \(Blocks.count(preview.totalRows)) rows are"
            : "the full result (\(Blocks.count(preview.rowsKept)) rows) is"
    }

    /// The comment on the uploaded files: what they hold, in the words of the thread's note.
    public static func uploadComment(_ id: Int, preview: ExecutionResult.Preview?, formats: String) -> String {
        let holds = exportedRows(preview)
        return "Request #\(id): \(holds.prefix(1).uppercased() + holds.dropFirst()) in these files (\(formats))."
    }

    /// The two durations, named: the statements' own time (what the engine measured) and the whole run (claim to
    /// stored result, connecting and storing included), which is what the approval message shows.
    static func timing(_ request: RequestDetails, statementMilliseconds: Int) -> String {
        let statements = "statement time \(duration(statementMilliseconds))"
        guard let whole = wholeRunMilliseconds(request) else { return statements }
        return statements + ", whole run \(duration(whole))"
    }

    /// From the claim to the stored outcome.
    static func wholeRunMilliseconds(_ request: RequestDetails) -> Int? {
        guard let started = request.executionStartedAt, let finished = request.executionFinishedAt else { return nil }
        return Int(finished.timeIntervalSince(started) * 1000)
    }

    static func failed(_ request: RequestDetails, _ failure: ExecutionFailure) -> (text: String, blocks: [JSONValue]) {
        let after = failure.milliseconds.map { " (\(timing(request, statementMilliseconds: $0)))" } ?? ""
        let codeLabel = request.databaseType == .mongodb ? "code" : "SQLSTATE"
        var error = "ERROR: \(failure.message)" + (failure.sqlState.map { " (\(codeLabel) \($0))" } ?? "")
        if let position = failure.position, let pointer = pointer(into: request.queryText, at: position) { error += "\n" + pointer }
        if let detail = failure.detail { error += "\nDETAIL: \(detail)" }
        if let hint = failure.hint { error += "\nHINT: \(hint)" }
        // An interrupted request may have been applied; any other failure on PostgreSQL rolled the transaction
        // back. MongoDB has no such transaction: the failure's detail says what was applied before it.
        let consequence = failure == .interrupted || request.databaseType == .mongodb ? "" : " Nothing of it was applied."
        let blocks = [
            Blocks.section("⚠️ *Request #\(request.id) failed*\(after).\(consequence)"),
            Blocks.section(Blocks.codeBlock(error, within: Blocks.maximumSectionText) { "shortened from \($0) characters" }),
        ]
        return ("Request #\(request.id) failed: \(failure.message)", blocks)
    }

    /// psql's way of pointing at an error: the line of the query, and a caret under the character.
    static func pointer(into query: String, at position: Int) -> String? {
        let characters = Array(query)
        guard position >= 1, position <= characters.count + 1 else { return nil }
        let before = characters[..<(position - 1)]
        let lineNumber = before.filter { $0 == "\n" }.count + 1
        let lineStart = before.lastIndex(of: "\n").map { $0 + 1 } ?? 0
        let lineEnd = characters[lineStart...].firstIndex(of: "\n") ?? characters.count
        let line = String(characters[lineStart..<lineEnd])
        let prefix = "LINE \(lineNumber): "
        guard line.count <= 200 else { return nil }
        return prefix + line + "\n" + String(repeating: " ", count: prefix.count + (position - 1 - lineStart)) + "^"
    }

    /// A running time in whole seconds: "8 s", "2 min 05 s".
    static func elapsed(_ seconds: TimeInterval) -> String {
        let whole = max(0, Int(seconds))
        return whole < 60 ? "\(whole) s" : String(format: "%d min %02d s", whole / 60, whole % 60)
    }

    static func duration(_ milliseconds: Int) -> String {
        milliseconds < 1000 ? "\(milliseconds) ms" : String(format: "%.1f s", Double(milliseconds) / 1000)
    }
}
