import Foundation
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

@Suite("Approving and rejecting in Slack")
struct ApprovalTests {
    typealias People = AppHarness.People

    @Test func anApprovalUpdatesTheMessageInPlaceAndTellsTheRequester() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            try await slack.deliverOutbox()
            let click = try await slack.click("request.approve", request: id, as: People.maria)
            #expect(click.status == .ok)
            #expect(try await slack.status(of: id) == .approved)

            try await slack.deliverOutbox()
            let recorder = slack.fake.recorder
            let update = try #require(await recorder.successful("chat.update").first?.arguments)
            #expect(update["channel"]?.stringValue == "C0PAYMENTS")
            #expect(update["ts"]?.stringValue == "1732460000.000101")
            let words = update["blocks"]?.allText ?? ""
            #expect(words.contains("*Approved* by <@U0MGR0001>"))
            #expect(!words.contains("request.approve"), "a finished request still shows buttons")

            #expect(await recorder.successful("conversations.open").first?.arguments["users"]?.stringValue == People.dev)
            let dm = try #require(await recorder.successful("chat.postMessage").last?.arguments)
            #expect(dm["channel"]?.stringValue == "D0DEV0001")
            #expect(dm["text"]?.stringValue?.hasPrefix("✅ Your request *#\(id)* on `pg-main/customer_db` was approved by Maria.") == true)
            #expect(try await slack.store.recentAuditEntries(limit: 1).first?.action == "request.approved")
        }
    }

    /// Devi (a developer of the pod) and Sam (another pod's manager) may not see Dev's request, so they get the
    /// answer an id that does not exist gets.
    @Test("Approvers who may not are refused, told why, audited, and change nothing", arguments: [
        (People.dev, "nobody approves or rejects their own request"),
        (People.devi, "There is no request #1 that you can see."),
        (People.sam, "There is no request #1 that you can see."),
        (People.olga, "To get access again, ask a QueryGate admin to reactivate it (`querygate users activate`)."),
        (People.stranger, "You do not have a QueryGate account yet"),
    ])
    func refusedApprovers(user: String, explanation: String) async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            try await slack.deliverOutbox()
            for action in ["request.approve", "request.reject"] {
                #expect(try await slack.click(action, request: id, as: user).status == .ok)
            }
            #expect(try await slack.status(of: id) == .pending)
            try await slack.deliverOutbox()
            let recorder = slack.fake.recorder
            let ephemerals = await recorder.successful("chat.postEphemeral")
            #expect(ephemerals.count == 2)
            #expect(ephemerals.allSatisfy { $0.arguments["user"]?.stringValue == user && $0.arguments["channel"]?.stringValue == "C0PAYMENTS" })
            #expect(ephemerals.allSatisfy { $0.arguments["text"]?.stringValue?.contains(explanation) == true })
            #expect(await recorder.successful("chat.update").isEmpty)
            #expect(await recorder.successful("views.open").isEmpty, "a refused rejecter got the rejection form")
            let audit = try await slack.store.recentAuditEntries(limit: 2)
            #expect(audit.map(\.action) == ["request.rejection_refused", "request.approval_refused"])
            #expect(audit.allSatisfy { $0.source == "slack" && $0.entityID == String(id) })
        }
    }

    @Test func dangerousRequestsShowTheirWarningsToTheApprover() async throws {
        try await AppHarness.run { slack in
            _ = try await slack.reply("script pg-main/customer_db cleanup ```UPDATE orders SET note = 'x' WHERE id = 1; DELETE FROM order_items```",
                                      as: People.dev)
            try await slack.deliverOutbox()
            let words = await slack.fake.recorder.successful("chat.postMessage").first?.arguments["blocks"]?.allText ?? ""
            #expect(words.contains("*Risk:* 🔴 dangerous\n• ⚠️ statement 2: DELETE without WHERE changes every row of the table"))
        }
    }

    @Test func anAdminApprovesAnyPodsRequest() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            _ = try await slack.click("request.approve", request: id, as: People.ada)
            #expect(try await slack.status(of: id) == .approved)
        }
    }

    @Test func twentySimultaneousClicksGiveExactlyOneApproval() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            try await slack.deliverOutbox()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let approver = index % 2 == 0 ? People.maria : People.ada
                        let response = try await slack.click("request.approve", request: id, as: approver)
                        #expect(response.status == .ok)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await slack.status(of: id) == .approved)
            let approvals = try await slack.store.recentAuditEntries(limit: 100).filter { $0.action == "request.approved" }
            #expect(approvals.count == 1)
            try await slack.deliverOutbox()
            let ephemerals = await slack.fake.recorder.successful("chat.postEphemeral")
            #expect(ephemerals.count == 19)
            #expect(ephemerals.allSatisfy { $0.arguments["text"]?.stringValue == "Request #\(id) is already approved; nothing changed." })
            #expect(await slack.fake.recorder.successful("chat.update").count == 1)
        }
    }

    @Test func aClickOnAnOldMessageLearnsTheRealState() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            _ = try await slack.reply("cancel \(id)", as: People.dev)
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            #expect(try await slack.status(of: id) == .cancelled)
            try await slack.deliverOutbox()
            #expect(await slack.fake.recorder.successful("chat.postEphemeral").first?.arguments["text"]?.stringValue
                == "Request #\(id) is already cancelled; nothing changed.")
        }
    }

    @Test func rejectingAsksForAReasonThenUpdatesTheMessageAndTellsTheRequester() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            try await slack.deliverOutbox()
            #expect(try await slack.click("request.reject", request: id, as: People.maria).status == .ok)
            let form = try #require(await slack.fake.recorder.successful("views.open").first?.arguments)
            #expect(form["trigger_id"]?.stringValue == "9999.8888.click")
            #expect(form["view"]?["callback_id"]?.stringValue == "request.reject")
            #expect(try await slack.status(of: id) == .pending)

            let metadata = JSONValue.decode(Array((form["view"]?["private_metadata"]?.stringValue ?? "").utf8)) ?? [:]
            let blank = try await slack.submitView(
                "request.reject", values: ["rejection": ["rejection_input": ["value": "  "]]], metadata: metadata, as: People.maria)
            #expect(blank?["errors"]?["rejection"]?.stringValue == "say why the request is rejected: the requester reads it")
            #expect(try await slack.status(of: id) == .pending)

            let done = try await slack.submitView(
                "request.reject", values: ["rejection": ["rejection_input": ["value": "Not during the sale <b>freeze</b>"]]],
                metadata: metadata, as: People.maria)
            #expect(done?["response_action"]?.stringValue == "clear")
            let stored = try #require(try await slack.store.requestDetails(id: id))
            #expect(stored.status == .rejected)
            #expect(stored.rejectionReason == "Not during the sale <b>freeze</b>")

            try await slack.deliverOutbox()
            let update = try #require(await slack.fake.recorder.successful("chat.update").first?.arguments)
            #expect(update["blocks"]?.allText.contains("*Rejected* by <@U0MGR0001>") == true)
            #expect(update["blocks"]?.allText.contains("Not during the sale &lt;b&gt;freeze&lt;/b&gt;") == true)
            let dm = try #require(await slack.fake.recorder.successful("chat.postMessage").last?.arguments)
            #expect(dm["text"]?.stringValue == "❌ Your request *#\(id)* on `pg-main/customer_db` was rejected by Maria: Not during the sale &lt;b&gt;freeze&lt;/b&gt;")
        }
    }

    @Test func aRejectionSubmittedAfterSomeoneApprovedIsRefusedInTheForm() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            _ = try await slack.click("request.reject", request: id, as: People.maria)
            _ = try await slack.click("request.approve", request: id, as: People.ada)
            let late = try await slack.submitView(
                "request.reject", values: ["rejection": ["rejection_input": ["value": "no"]]],
                metadata: ["request_id": .number(Double(id)), "channel_id": "C0PAYMENTS"], as: People.maria)
            #expect(late?["errors"]?["rejection"]?.stringValue == "Request #\(id) is already approved; nothing changed.")
            #expect(try await slack.status(of: id) == .approved)
        }
    }
}
