import Foundation
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// The Block Kit QueryGate sends, compared with the payloads stored under `Tests/Fixtures/BlockKit/`, so that a change
/// in a message is a visible diff in review. Each is rendered from fixed inputs (ids, people, dates), wrapped in the
/// Web API call that carries it, and must pass the Block Kit limits FakeSlack and the stand-in enforce.
///
/// After an intended change: `QUERYGATE_RECORD_SNAPSHOTS=1 scripts/test --filter BlockKitSnapshot` rewrites the
/// files (and fails, saying which it wrote, so that a run that records never passes); review `git diff
/// Tests/Fixtures/BlockKit`, then run again without the variable.
@Suite("Block Kit snapshots")
struct BlockKitSnapshotTests {
    // MARK: - Approval message, in each state

    @Test func approvalPending() { BlockKitSnapshot.check("approval-pending", Self.approvalCall(SnapshotFixture.request(.pending))) }

    @Test func approvalPartlyApproved() {
        BlockKitSnapshot.check("approval-pending-quorum", Self.approvalCall(SnapshotFixture.request(.pending, approvalsRequired: 2, approvals: [SnapshotFixture.maria])))
    }

    /// Not a snapshot: once every manager's approval is counted, only an admin can add the one still needed.
    @Test func whenEveryManagerHasApprovedOnlyAnAdminIsWaitedFor() {
        let request = SnapshotFixture.request(.pending, approvalsRequired: 3, approvals: [SnapshotFixture.maria, SnapshotFixture.sam])
        let text = JSONValue.array(ApprovalMessage.render(request).blocks).allText
        #expect(text.contains("*2 of 3 approvals*"))
        #expect(text.contains("Waiting for an admin (every manager of this pod has approved)."), "\(text)")
    }

    @Test func approvalApproved() {
        BlockKitSnapshot.check("approval-approved", Self.approvalCall(SnapshotFixture.request(.approved, approvalsRequired: 2, approvals: [SnapshotFixture.maria, SnapshotFixture.sam])))
    }

    @Test func approvalRunning() {
        BlockKitSnapshot.check("approval-running", Self.approvalCall(SnapshotFixture.request(.executing), now: SnapshotFixture.started.addingTimeInterval(47)))
    }

    @Test func approvalCompleted() { BlockKitSnapshot.check("approval-completed", Self.approvalCall(SnapshotFixture.request(.completed, outcome: SnapshotFixture.updated))) }

    @Test func approvalFailed() { BlockKitSnapshot.check("approval-failed", Self.approvalCall(SnapshotFixture.request(.failed, outcome: SnapshotFixture.failure))) }

    @Test func approvalRejected() { BlockKitSnapshot.check("approval-rejected", Self.approvalCall(SnapshotFixture.request(.rejected))) }

    @Test func approvalCancelled() { BlockKitSnapshot.check("approval-cancelled", Self.approvalCall(SnapshotFixture.request(.cancelled))) }

    @Test func approvalExpired() {
        BlockKitSnapshot.check("approval-expired", Self.approvalCall(SnapshotFixture.request(.expired, approvalsRequired: 2, approvals: [SnapshotFixture.maria])))
    }

    /// The first post, as the outbox sends it; every later state is a `chat.update` of it.
    @Test func approvalFirstPost() {
        let rendered = ApprovalMessage.render(SnapshotFixture.request(.pending), now: SnapshotFixture.created)
        BlockKitSnapshot.check("approval-post", SnapshotCall("chat.postMessage", [
            "channel": "C0PAYMENTS", "text": .string(rendered.text), "blocks": .array(rendered.blocks), "unfurl_links": false, "unfurl_media": false,
        ]))
    }

    // MARK: - The result in the thread

    @Test func resultOfAnUpdate() { BlockKitSnapshot.check("result-update", Self.resultCall(SnapshotFixture.request(.completed, outcome: SnapshotFixture.updated))) }

    @Test func resultAsATable() {
        let select = SnapshotFixture.request(.completed, outcome: SnapshotFixture.selected, query: "SELECT id, email, status, refunded_at FROM orders WHERE customer_id = 88;")
        BlockKitSnapshot.check("result-table", Self.resultCall(select))
    }

    /// More rows than the reply shows: the table of the first, and the note that the whole result is attached.
    @Test func resultWithAnAttachedFile() {
        let large = SnapshotFixture.request(.completed, outcome: SnapshotFixture.large, query: "SELECT id, status, total FROM orders ORDER BY id;")
        BlockKitSnapshot.check("result-attached", Self.resultCall(large))
    }

    @Test func resultAsDocuments() {
        let find = SnapshotFixture.request(.completed, outcome: SnapshotFixture.documents, query: "db.orders.find({ customer_id: 88 })", databaseType: .mongodb)
        BlockKitSnapshot.check("result-documents", Self.resultCall(find))
    }

    @Test func resultOfAFailure() { BlockKitSnapshot.check("result-failed", Self.resultCall(SnapshotFixture.request(.failed, outcome: SnapshotFixture.failure))) }

    // MARK: - Home tab, modals, `/query status`

    @Test func homeTabOfAManager() {
        let contents = HomeTab.Contents(
            user: SnapshotFixture.user("Maria Garcia", role: .manager, slackID: "U0MGR0001"),
            decisions: [SnapshotFixture.request(.pending), SnapshotFixture.request(.pending, id: 43, approvalsRequired: 2, approvals: [SnapshotFixture.sam])],
            decisionsInAll: 2, recent: [])
        BlockKitSnapshot.check("home-manager", SnapshotCall("views.publish", [
            "user_id": "U0MGR0001", "view": HomeTab.view(contents, notice: "You approved request #41.", now: SnapshotFixture.decided),
        ]))
    }

    @Test func homeTabOfADeveloper() {
        let contents = HomeTab.Contents(
            user: SnapshotFixture.user("Dev Patel", role: .developer, slackID: "U0DEV0001"), decisions: [], decisionsInAll: 0,
            recent: [SnapshotFixture.request(.pending, id: 43), SnapshotFixture.request(.completed, outcome: SnapshotFixture.updated), SnapshotFixture.request(.rejected, id: 40)])
        BlockKitSnapshot.check("home-developer", SnapshotCall("views.publish", ["user_id": "U0DEV0001", "view": HomeTab.view(contents, now: SnapshotFixture.decided)]))
    }

    @Test func homeTabOfAStranger() {
        BlockKitSnapshot.check("home-no-access", SnapshotCall("views.publish", ["user_id": "U0STRANGER", "view": HomeTab.noAccess(isDeactivated: false)]))
    }

    @Test func requestForm() {
        BlockKitSnapshot.check("modal-new-request", SnapshotCall("views.open", ["trigger_id": "1741944413.4021.ab12cd", "view": Modals.newRequest(channelID: "C0PAYMENTS")]))
    }

    @Test func rejectionForm() {
        BlockKitSnapshot.check("modal-reject", SnapshotCall("views.open", [
            "trigger_id": "1741944533.4022.ef34ab", "view": Modals.reject(requestID: 42, channelID: "C0PAYMENTS"),
        ]))
    }

    /// `/query status 42`: the answer to the command, the whole query and no buttons.
    @Test func statusReply() {
        let request = SnapshotFixture.request(.pending)
        BlockKitSnapshot.check("status-reply", SnapshotCall("(answer to /query status)", [
            "response_type": "ephemeral", "text": .string(ApprovalMessage.render(request, now: SnapshotFixture.created).text),
            "blocks": .array(Replies.status(request)),
        ]))
    }

    // MARK: - Direct messages to the requester

    /// Each event's message, from the request as it stands when the message is delivered.
    @Test(arguments: [RequestEvent.approved, .rejected, .cancelled, .expired, .completed, .failed])
    func directMessage(event: RequestEvent) {
        let (status, outcome): (RequestStatus, ExecutionOutcome?) = switch event {
        case .approved: (.executing, nil)
        case .rejected: (.rejected, nil)
        case .cancelled: (.cancelled, nil)
        case .expired: (.expired, nil)
        case .completed: (.completed, SnapshotFixture.updated)
        case .failed: (.failed, SnapshotFixture.failure)
        }
        let request = SnapshotFixture.request(status, outcome: outcome)
        let link = "https://example.slack.com/archives/C0PAYMENTS/p1741944414000200"
        BlockKitSnapshot.check("dm-\(event.rawValue)", SnapshotCall("chat.postMessage", [
            "channel": "D0DEV0001", "text": .string(Replies.directMessage(request, event: event, link: link)),
        ]))
    }

    // MARK: - The calls

    /// The approval message as the outbox updates it in place.
    static func approvalCall(_ request: RequestDetails, now: Date = SnapshotFixture.decided) -> SnapshotCall {
        let rendered = ApprovalMessage.render(request, now: now)
        return SnapshotCall("chat.update", ["channel": "C0PAYMENTS", "ts": "1741944414.000200", "text": .string(rendered.text), "blocks": .array(rendered.blocks)])
    }

    static func resultCall(_ request: RequestDetails) -> SnapshotCall {
        let rendered = ResultMessage.render(request)
        return SnapshotCall("chat.postMessage", [
            "channel": "C0PAYMENTS", "thread_ts": "1741944414.000200", "text": .string(rendered.text), "blocks": .array(rendered.blocks),
            "unfurl_links": false,
        ])
    }
}

/// One Web API call (or command answer): what a snapshot holds.
struct SnapshotCall {
    let method: String
    let arguments: JSONValue

    init(_ method: String, _ arguments: JSONValue) {
        self.method = method
        self.arguments = arguments
    }
}

/// Comparing a rendered payload with its stored snapshot, or, with `QUERYGATE_RECORD_SNAPSHOTS=1`, storing it.
enum BlockKitSnapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/BlockKit", isDirectory: true)
    static let variable = "QUERYGATE_RECORD_SNAPSHOTS"

    static var recording: Bool { ProcessInfo.processInfo.environment[variable] == "1" }

    /// Pretty-printed with sorted keys, so that a diff reads line by line.
    static func text(_ call: SnapshotCall) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document: JSONValue = ["method": .string(call.method), "arguments": call.arguments]
        return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self) + "\n"
    }

    static func check(_ name: String, _ call: SnapshotCall, sourceLocation: SourceLocation = #_sourceLocation) {
        if let problem = FakeSlack.Recorder.blockProblem(method: call.method, arguments: call.arguments) {
            Issue.record("\(name): Slack would refuse it: \(problem)", sourceLocation: sourceLocation)
        }
        let file = directory.appendingPathComponent("\(name).json")
        let path = "Tests/Fixtures/BlockKit/\(name).json"
        let actual = text(call)
        if recording {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try Data(actual.utf8).write(to: file, options: .atomic)
                Issue.record("recorded \(path) (\(variable)=1); review the diff and run again without it", sourceLocation: sourceLocation)
            } catch {
                Issue.record("could not record \(path): \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            Issue.record("no snapshot \(path): record it with \(variable)=1 scripts/test --filter BlockKitSnapshot", sourceLocation: sourceLocation)
            return
        }
        let expected = String(decoding: data, as: UTF8.self)
        guard expected != actual else { return }
        Issue.record(Comment(rawValue: difference(path, expected: expected, actual: actual)), sourceLocation: sourceLocation)
    }

    /// The file, and its first differing line with what was rendered there instead (and the next few).
    static func difference(_ path: String, expected: String, actual: String) -> String {
        let old = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let new = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let first = (0..<min(old.count, new.count)).first { old[$0] != new[$0] } ?? min(old.count, new.count)
        func lines(_ lines: [Substring], _ mark: String) -> String {
            lines[min(first, lines.count)..<min(first + 3, lines.count)].map { "\(mark) \($0)" }.joined(separator: "\n")
        }
        return "\(path) differs from what was rendered, from line \(first + 1) (- stored, + rendered; "
            + "re-record with \(variable)=1 if the change is intended):\n" + lines(old, "-") + "\n" + lines(new, "+")
    }
}

/// Realistic, fixed inputs: a refund in the payments pod, its people, and its times.
enum SnapshotFixture {
    static let dev = RequestDetails.Person(name: "Dev Patel", email: "dev.patel@example.com", slackUserID: "U0DEV0001")
    static let maria = RequestDetails.Person(name: "Maria Garcia", email: "maria.garcia@example.com", slackUserID: "U0MGR0001")
    static let sam = RequestDetails.Person(name: "Sam Okafor", email: "sam.okafor@example.com", slackUserID: "U0MGR0002")

    /// 2025-03-14 09:26:53 UTC, and what followed.
    static let created = Date(timeIntervalSince1970: 1_741_944_413)
    static let decided = created.addingTimeInterval(120)
    static let started = created.addingTimeInterval(125)
    static let finished = started.addingTimeInterval(1.4)

    static let update = "UPDATE orders\n   SET status = 'refunded', refunded_at = now()\n WHERE id = 1017 AND customer_id = 88;"

    static func request(
        _ status: RequestStatus, id: Int = 42, outcome: ExecutionOutcome? = nil, query: String = update, databaseType: DatabaseType = .postgresql,
        approvalsRequired: Int = 1, approvals: [RequestDetails.Person]? = nil
    ) -> RequestDetails {
        let approved: Set<RequestStatus> = [.approved, .executing, .completed, .failed]
        let ran: Set<RequestStatus> = [.executing, .completed, .failed]
        let approver = approved.contains(status) ? (approvals?.last ?? maria) : nil
        return RequestDetails(
            id: id, status: status, submissionType: .query, queryText: query,
            reason: "Customer 88 was charged twice for order 1017 (ticket SUP-2291) & support confirmed the refund.",
            target: databaseType == .mongodb ? "mongo-main/orders" : "pg-main/customer_db", databaseType: databaseType, requester: dev,
            podName: "payments", podChannelID: "C0PAYMENTS", managerSlackIDs: ["U0MGR0001", "U0MGR0002"], approver: approver,
            rejecter: status == .rejected ? maria : nil,
            rejectionReason: status == .rejected ? "Not during the sale freeze <until Monday>; ask again then & link the ticket." : nil,
            createdAt: created, decidedAt: status == .pending ? nil : decided, slackChannelID: "C0PAYMENTS", slackMessageTS: "1741944414.000200",
            executionStartedAt: ran.contains(status) ? started : nil, executionFinishedAt: status == .completed || status == .failed ? finished : nil,
            outcome: outcome, approvalsRequired: approvalsRequired, approvals: approvals ?? approver.map { [$0] } ?? [])
    }

    static func user(_ name: String, role: Role, slackID: String) -> User {
        User(id: role == .developer ? 3 : 2, email: "\(name.lowercased().replacingOccurrences(of: " ", with: "."))@example.com", name: name,
             role: role, podID: 1, podName: "payments", slackUserID: slackID, isActive: true)
    }

    static let updated = ExecutionOutcome.completed(ExecutionResult(
        statements: [.init(command: "UPDATE 1", rowsAffected: 1, rowsReturned: nil)], preview: nil, notices: [], milliseconds: 4, exportBytes: nil))

    static let selected = ExecutionOutcome.completed(ExecutionResult(
        statements: [.init(command: "SELECT 3", rowsAffected: nil, rowsReturned: 3)],
        preview: ExecutionResult.Preview(
            columns: [.init(name: "id", type: "integer"), .init(name: "email", type: "text"), .init(name: "status", type: "text"),
                      .init(name: "refunded_at", type: "timestamp with time zone")],
            rows: [["1017", "customer88@example.com", "refunded", "2025-03-14 09:29:00.412+00"],
                   ["1018", "customer88@example.com", "shipped", nil],
                   ["1021", "customer88@example.com", "", nil]],
            totalRows: 3, rowsKept: 3),
        notices: [], milliseconds: 2, exportBytes: nil))

    static let large = ExecutionOutcome.completed(ExecutionResult(
        statements: [.init(command: "SELECT 48210", rowsAffected: nil, rowsReturned: 48210)],
        preview: ExecutionResult.Preview(
            columns: [.init(name: "id", type: "bigint"), .init(name: "status", type: "text"), .init(name: "total", type: "numeric")],
            rows: (0..<20).map { ["\(1000 + $0)", ["shipped", "refunded", "pending"][$0 % 3], "\(19 + $0 * 7).\($0 % 10)0"] },
            totalRows: 48210, rowsKept: 48210),
        notices: [], milliseconds: 812, exportBytes: 1_734_560))

    static let documents = ExecutionOutcome.completed(ExecutionResult(
        statements: [.init(command: "find", rowsAffected: nil, rowsReturned: 2)],
        preview: ExecutionResult.Preview(
            columns: [.init(name: "document", type: "json")],
            rows: [[#"{"_id":{"$oid":"65f2c1a9e4b0a1b2c3d4e5f6"},"customer_id":88,"status":"refunded","items":[{"sku":"A-100","qty":1}]}"#],
                   [#"{"_id":{"$oid":"65f2c1a9e4b0a1b2c3d4e5f7"},"customer_id":88,"status":"shipped","items":[]}"#]],
            totalRows: 2, rowsKept: 2),
        notices: [], milliseconds: 3, exportBytes: 412))

    static let failure = ExecutionOutcome.failed(ExecutionFailure(
        message: #"new row for relation "orders" violates check constraint "orders_status_check""#, sqlState: "23514", position: nil,
        detail: "Failing row contains (1017, 88, refunded, 2025-03-14 09:29:00.412+00).", hint: nil, milliseconds: 3))
}
