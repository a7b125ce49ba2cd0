import Foundation
import QueryGateCore
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
        #expect(words.contains("*Running* since <!date^1700000100^{time_secs}|"))
        #expect(!words.contains("request.approve"))
        let done = JSONValue.array(ApprovalMessage.render(Self.request(.completed)).blocks).allText
        #expect(done.contains("*Completed* in 1.5 s, approved by <@U0MGR0001>. The result is in the thread."))
    }

    @Test func wideAndLongValuesAreCutAndTheNoteSaysWhatIsHidden() {
        let columns = (1...12).map { ExecutionResult.Column(name: "column_\($0)", type: "text") }
        let row: [String?] = [String(repeating: "x", count: 80), nil, "line\nbreak"] + (4...12).map { "v\($0)" }
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
        #expect(note.contains("5000 rows, 20 shown"))
        #expect(note.contains("columns not shown"))
        #expect(note.contains("the full result is attached as CSV"))
    }

    /// Whether the thread shows every kept row whole decides whether the full result is uploaded beside it.
    @Test func aPreviewIsWholeOnlyWhenNoRowIsLeftOutAndNoValueCut() {
        func preview(_ values: [String?], kept: Int? = nil, column: String = "value") -> ExecutionResult.Preview {
            ExecutionResult.Preview(columns: [ExecutionResult.Column(name: column, type: "text")], rows: values.map { [$0] },
                                    totalRows: kept ?? values.count, rowsKept: kept ?? values.count)
        }
        let short = preview(["a", nil, "b"])
        #expect(ResultMessage.showsWhole(short, databaseType: .postgresql))
        #expect(ResultMessage.showsWhole(short, databaseType: .mongodb))
        #expect(!ResultMessage.showsWhole(preview(["a", "b"], kept: 3), databaseType: .postgresql), "a kept row is not shown")
        // PostgreSQL cells are cut at 30 characters; MongoDB documents at 110.
        let forty = String(repeating: "x", count: 40)
        #expect(!ResultMessage.showsWhole(preview([forty]), databaseType: .postgresql))
        #expect(ResultMessage.showsWhole(preview([forty]), databaseType: .mongodb))
        #expect(!ResultMessage.showsWhole(preview([String(repeating: "x", count: 111)]), databaseType: .mongodb))
    }

    @Test func theErrorPointsAtItsPlaceLikePsql() {
        let failure = ExecutionFailure(message: "syntax error at or near \"FORM\"", sqlState: "42601", position: 13, milliseconds: 3)
        let words = JSONValue.array(ResultMessage.render(Self.request(.failed, outcome: .failed(failure), query: "SELECT a, b\nFORM t")).blocks).allText
        #expect(words.contains("ERROR: syntax error at or near \"FORM\" (SQLSTATE 42601)\nLINE 2: FORM t\n        ^"))
    }
}
