import Foundation
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

@Suite("Rendering requests and results for Slack")
struct MessageRenderingTests {
    static func request(_ status: RequestStatus, outcome: ExecutionOutcome? = nil, query: String = "SELECT 1") -> RequestDetails {
        let person = RequestDetails.Person(name: "Maria", email: "maria@example.com", slackUserID: "U0MGR0001")
        return RequestDetails(
            id: 7, status: status, submissionType: .query, queryText: query, reason: "why", target: "pg-main/customer_db",
            databaseType: .postgresql, requester: RequestDetails.Person(name: "Dev", email: "dev@example.com", slackUserID: "U0DEV0001"),
            podName: "payments", podChannelID: "C0PAYMENTS", managerSlackIDs: ["U0MGR0001"], approver: person, rejecter: nil,
            rejectionReason: nil, createdAt: Date(timeIntervalSince1970: 1_700_000_000), decidedAt: Date(timeIntervalSince1970: 1_700_000_060),
            slackChannelID: "C0PAYMENTS", slackMessageTS: "1.2", executionStartedAt: Date(timeIntervalSince1970: 1_700_000_100),
            executionFinishedAt: Date(timeIntervalSince1970: 1_700_000_101.5), outcome: outcome)
    }

    @Test func aRunningRequestSaysSinceWhenWithoutButtons() {
        let words = JSONValue.array(ApprovalMessage.render(Self.request(.executing)).blocks).allText
        #expect(words.contains(" since <!date^1700000100^{time_secs}|"))
        #expect(!words.contains("request.approve"))
        let done = JSONValue.array(ApprovalMessage.render(Self.request(.completed)).blocks).allText
        #expect(done.contains("*Completed* in 1.5 s (whole run), approved by <@U0MGR0001>. The result is in the thread."))
    }

    /// More columns than Slack's table takes: the monospace preview, cut to fit.
    @Test func wideAndLongValuesAreCutAndTheNoteSaysWhatIsHidden() {
        let columns = (1...25).map { ExecutionResult.Column(name: "column_\($0)", type: "text") }
        let row: [String?] = [String(repeating: "x", count: 80), nil, "line\nbreak"] + (4...25).map { "v\($0)" }
        let preview = ExecutionResult.Preview(columns: columns, rows: Array(repeating: row, count: 20), totalRows: 5000, rowsKept: 5000)
        let result = ExecutionResult(statements: [.init(command: "SELECT 5000", rowsAffected: nil, rowsReturned: 5000)], preview: preview,
                                     notices: [], milliseconds: 12, exportBytes: 100_000)
        let blocks = ResultMessage.render(Self.request(.completed, outcome: .completed(result))).blocks
        let table = blocks[1]["text"]?["text"]?.stringValue ?? ""
        #expect(table.count <= 3000)
        let header = table.dropFirst(3).prefix { $0 != "\n" }
        #expect(header.count <= 110)
        #expect(table.contains("xxxxxxxxxxxxxxxxxxxxxxxxxxxxx… | NULL     | line↵break"))
        let note = JSONValue.array(blocks).allText
        #expect(note.contains("5,000 rows, 20 shown"))
        #expect(note.contains("columns not shown"))
        #expect(note.contains("the full result (5,000 rows) is attached as CSV"))
    }

    /// The approval message gives the whole run; the thread names both, so 26 ms and 2 ms read as what they are.
    @Test func bothDurationsSayWhatTheyMeasure() {
        let result = ExecutionResult(statements: [.init(command: "SELECT 1", rowsAffected: nil, rowsReturned: 1)], preview: nil,
                                     notices: [], milliseconds: 2, exportBytes: nil)
        let rendered = ResultMessage.render(Self.request(.completed, outcome: .completed(result)))
        #expect(JSONValue.array(rendered.blocks).allText.contains("✅ *Request #7 completed* (statement time 2 ms, whole run 1.5 s): `SELECT 1`"))
        #expect(rendered.text == "Request #7 completed (statement time 2 ms, whole run 1.5 s)")
        let failed = ResultMessage.render(Self.request(.failed, outcome: .failed(ExecutionFailure(message: "boom", milliseconds: 3)))).blocks
        #expect(JSONValue.array(failed).allText.contains("⚠️ *Request #7 failed* (statement time 3 ms, whole run 1.5 s)."))
    }

    /// The running message counts the time at rendering, which the periodic updates redo.
    @Test func aRunningRequestSaysForHowLong() {
        let request = Self.request(.executing)
        let started = try! #require(request.executionStartedAt)
        let words = JSONValue.array(ApprovalMessage.render(request, now: started.addingTimeInterval(125)).blocks).allText
        #expect(words.contains("*Running* for 2 min 05 s since <!date^1700000100^{time_secs}|"))
        #expect(ApprovalMessage.render(request, now: started.addingTimeInterval(45)).text.hasSuffix("Running for 45 s, approved by Maria; updated while it runs."))
    }

    /// The "approved" direct message is rendered when delivered, which may be after the run.
    @Test(arguments: [
        (RequestStatus.approved, "It runs next; the result will appear in the approval thread"),
        (.executing, "It is running now; the result will appear"),
        (.completed, "It has already run and completed; the result is in the approval thread"),
        (.failed, "It has already run and failed; the error is in the approval thread"),
    ])
    func theApprovedMessageSaysWhereTheRequestStandsNow(status: RequestStatus, says: String) {
        let text = Replies.directMessage(Self.request(status), event: .approved)
        #expect(text.hasPrefix("✅ Your request *#7* on `pg-main/customer_db` was approved by Maria. "))
        #expect(text.contains(says))
        #expect(status == .approved || !text.contains("runs next"))
    }

    /// `/query status` shows a query the approval message shortens whole, over as many blocks as it needs.
    @Test func statusShowsTheWholeQueryOverSeveralBlocks() {
        let lines = (1...400).map { "SELECT \($0) AS n, 'a < b & c' AS s UNION ALL" }
        let query = lines.joined(separator: "\n") + "\nSELECT 0, ''"
        let request = Self.request(.pending, query: query)
        let approval = JSONValue.array(ApprovalMessage.render(request).blocks).allText
        #expect(approval.contains("shortened: the full \(query.count) characters are in the portal and in `/query status 7`"))

        let blocks = Replies.status(request)
        let parts = blocks.compactMap { $0["text"]?["text"]?.stringValue }.filter { $0.hasPrefix("*Query*") }
        #expect(parts.count >= 7, "about 21,000 escaped characters in blocks of 3000")
        #expect(parts.first?.hasPrefix("*Query* (part 1 of \(parts.count))\n```SELECT 1 AS n,") == true)
        #expect(parts.allSatisfy { $0.count <= 3000 })
        let code = parts.map { part in String(part.drop { $0 != "\n" }.dropFirst().dropFirst(3).dropLast(3)) }.joined()
        #expect(code == query.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;"))
        #expect(parts.dropLast().allSatisfy { $0.hasSuffix("\n```") }, "a part was cut inside a line")
        #expect(!blocks.contains { $0["type"]?.stringValue == "actions" })
        #expect(blocks.count <= 50)
    }

    /// PostgreSQL rows go in Slack's table (numbers right-aligned) when they fit it; the monospace preview stays as
    /// the text, and is the preview itself for what does not fit (more than 20 columns).
    @Test(arguments: [5, 21])
    func rowsUseSlacksTableWhereTheyFit(columnCount: Int) {
        let columns = [ExecutionResult.Column(name: "id", type: "bigint")] + (1..<columnCount).map { ExecutionResult.Column(name: "c\($0)", type: "text") }
        func value(_ column: Int, _ row: Int) -> String? {
            switch column {
            case 1: nil
            case 2: ""
            default: "v\(row)"
            }
        }
        let rows: [[String?]] = (1...3).map { row in [String(row)] + (1..<columnCount).map { value($0, row) } }
        let preview = ExecutionResult.Preview(columns: columns, rows: rows, totalRows: 3, rowsKept: 3)
        let result = ExecutionResult(statements: [.init(command: "SELECT 3", rowsAffected: nil, rowsReturned: 3)], preview: preview,
                                     notices: [], milliseconds: 2, exportBytes: 100)
        let rendered = ResultMessage.render(Self.request(.completed, outcome: .completed(result)))
        let table = rendered.blocks.first { $0["type"]?.stringValue == "table" }
        #expect(rendered.text.contains("```id | c1   | c2 |"))
        if columnCount <= 20 {
            let table = try! #require(table)
            let cells = table["rows"]?.arrayValue?.map { $0.arrayValue?.map { $0["text"]?.stringValue ?? "?" } ?? [] }
            #expect(cells?.first == ["id", "c1", "c2", "c3", "c4"])
            #expect(cells?[1] == ["1", "NULL", "''", "v1", "v1"])
            #expect(table["rows"]?.arrayValue?.allSatisfy { $0.arrayValue?.allSatisfy { $0["type"]?.stringValue == "raw_text" } == true } == true)
            #expect(table["column_settings"]?.arrayValue?.map { $0["align"]?.stringValue ?? "" } == ["right", "left", "left", "left", "left"])
            #expect(FakeSlack.Recorder.tableProblem(rendered.blocks) == nil)
            #expect(!JSONValue.array(rendered.blocks).allText.contains("```id"))
        } else {
            #expect(table == nil)
            #expect(JSONValue.array(rendered.blocks).allText.contains("```id | c1   | c2 |"))
        }
    }

    /// FakeSlack refuses what Slack refuses of a table, so the tests above would see a table Slack would not take.
    @Test func fakeSlackKnowsTheTableLimits() {
        func table(rows: Int, cells: Int, align: String = "right") -> JSONValue {
            ["type": "table", "rows": .array((0..<rows).map { _ in .array((0..<cells).map { _ in ["type": "raw_text", "text": "x"] }) }),
             "column_settings": [["align": .string(align)]]]
        }
        #expect(FakeSlack.Recorder.tableProblem([table(rows: 100, cells: 20)]) == nil)
        #expect(FakeSlack.Recorder.tableProblem([table(rows: 101, cells: 1)]) != nil)
        #expect(FakeSlack.Recorder.tableProblem([table(rows: 1, cells: 21)]) != nil)
        #expect(FakeSlack.Recorder.tableProblem([table(rows: 1, cells: 1), table(rows: 1, cells: 1)]) != nil)
        #expect(FakeSlack.Recorder.tableProblem([table(rows: 1, cells: 1, align: "middle")]) != nil)
    }

    @Test func theErrorPointsAtItsPlaceLikePsql() {
        let failure = ExecutionFailure(message: "syntax error at or near \"FORM\"", sqlState: "42601", position: 13, milliseconds: 3)
        let words = JSONValue.array(ResultMessage.render(Self.request(.failed, outcome: .failed(failure), query: "SELECT a, b\nFORM t")).blocks).allText
        #expect(words.contains("ERROR: syntax error at or near \"FORM\" (SQLSTATE 42601)\nLINE 2: FORM t\n        ^"))
    }
}
