import Foundation
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Several approvers for risky requests: a pod says how many distinct approvals each risk class needs.
@Suite("Several approvals")
struct QuorumTests {
    typealias People = AppHarness.People
    static let dangerous = "script pg-main/customer_db cleanup ```UPDATE orders SET note = 'x' WHERE id = 1; DELETE FROM order_items```"

    /// Payments needs two approvals for a dangerous request; Mona is a second manager of payments.
    static func requireTwoForDangerous(_ slack: AppHarness) async throws {
        try await slack.store.setApprovals(of: PodName("payments"), [.dangerous: 2], by: .system)
        try await slack.store.addUser(
            NewUser(email: EmailAddress("mona@example.com"), name: "Mona", role: .manager, pod: PodName("payments"),
                    slackUserID: SlackUserID("U0MGR0003")),
            by: .system)
    }

    static func submitDangerous(_ slack: AppHarness) async throws -> (Int, String) {
        let answer = try await slack.reply(dangerous, as: People.dev)
        let id = try #require(answer.range(of: "*#").flatMap { Int(answer[$0.upperBound...].prefix { $0.isNumber }) })
        return (id, answer)
    }

    @Test func aDangerousRequestRunsOnlyAfterTwoPeopleApproveAndEveryoneSeesHowFarItIs() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            try await Self.requireTwoForDangerous(slack)
            let (id, answer) = try await Self.submitDangerous(slack)
            #expect(answer.contains("is waiting for 2 approvals from"), "\(answer)")
            try await slack.deliverOutbox()
            let posted = await slack.fake.recorder.successful("chat.postMessage").first?.arguments["blocks"]?.allText ?? ""
            #expect(posted.contains("*0 of 2 approvals*. Each approver counts once."))

            // The first approval counts and changes nothing else.
            #expect(try await slack.click("request.approve", request: id, as: People.maria).status == .ok)
            #expect(try await slack.status(of: id) == .pending)
            try await slack.deliverOutbox()
            let update = await slack.fake.recorder.successful("chat.update").last?.arguments["blocks"]?.allText ?? ""
            #expect(update.contains("*1 of 2 approvals*: <@U0MGR0001>"))
            #expect(update.contains("Waiting for <@U0MGR0003> or an admin."), "Maria has approved: only the other manager is waited for. \(update)")
            #expect(update.contains("request.approve"), "the buttons must stay for the second approver")
            #expect(await slack.fake.recorder.successful("chat.postEphemeral").last?.arguments["text"]?.stringValue
                == "Your approval of request #\(id) is counted: 1 of 2. It runs once one more approver agrees.")

            // The same person cannot count twice.
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            #expect(try await slack.status(of: id) == .pending)
            try await slack.deliverOutbox()
            #expect(await slack.fake.recorder.successful("chat.postEphemeral").last?.arguments["text"]?.stringValue?
                .contains("you have already approved this request; it needs 1 more approval from someone else") == true)

            // The second person's approval is the last one needed.
            _ = try await slack.click("request.approve", request: id, as: People.ada)
            #expect(try await slack.status(of: id) == .approved)
            try await slack.deliverOutbox()
            let final = await slack.fake.recorder.successful("chat.update").last?.arguments["blocks"]?.allText ?? ""
            #expect(final.contains("*Approved* by <@U0MGR0001> and <@U0ADMIN01>"))
            #expect(!final.contains("request.approve"))
            #expect(await slack.fake.recorder.successful("chat.postMessage").last?.arguments["text"]?.stringValue?
                .contains("was approved by Maria and Ada.") == true)

            let details = try #require(try await slack.store.requestDetails(id: id))
            #expect(details.approvalsRequired == 2 && details.approvals.map(\.name) == ["Maria", "Ada"] && details.approver?.name == "Ada")
            let actions = try await slack.store.recentAuditEntries(limit: 20).filter { $0.entityID == String(id) }.map(\.action).reversed()
            #expect(Array(actions.suffix(3)) == ["request.approval_recorded", "request.approval_refused", "request.approved"])
            #expect(try await Rows.count("request_approvals", in: slack.database) == 2)
        }
    }

    @Test func aReadOnlyRequestOfTheSamePodStillNeedsOne() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            try await Self.requireTwoForDangerous(slack)
            let id = try await slack.submit()
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            #expect(try await slack.status(of: id) == .approved)
            #expect(try await slack.store.requestDetails(id: id)?.approvalsRequired == 1)
        }
    }

    @Test func aRejectionByAnyApproverEndsARequestThatHasSomeApprovals() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            try await Self.requireTwoForDangerous(slack)
            let (id, _) = try await Self.submitDangerous(slack)
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            _ = try await slack.click("request.reject", request: id, as: "U0MGR0003")
            let done = try await slack.submitView(
                "request.reject", values: ["rejection": ["rejection_input": ["value": "Not during the sale"]]],
                metadata: ["request_id": .number(Double(id))], as: "U0MGR0003")
            #expect(done?["response_action"]?.stringValue == "clear")
            #expect(try await slack.status(of: id) == .rejected)
            _ = try await slack.click("request.approve", request: id, as: People.ada)
            #expect(try await slack.status(of: id) == .rejected)
        }
    }

    @Test func aRequestKeepsTheRuleItWasMadeUnder() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            try await Self.requireTwoForDangerous(slack)
            let (id, _) = try await Self.submitDangerous(slack)
            try await slack.store.setApprovals(of: PodName("payments"), [.dangerous: 1], by: .system)
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            #expect(try await slack.status(of: id) == .pending, "the pod's new rule changed an open request")
        }
    }

    @Test func aRequestThatExpiresWithSomeApprovalsSaysHowFarItGotAndThatItNeverRan() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            try await Self.requireTwoForDangerous(slack)
            let (id, _) = try await Self.submitDangerous(slack)
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            try await slack.deliverOutbox()
            try await slack.database.client.query("UPDATE query_requests SET created_at = created_at - interval '25 hours' WHERE id = \(id)")
            #expect(try await slack.store.expireOverdueRequests(defaultTTL: .seconds(86_400)) == [id])
            try await slack.deliverOutbox()
            let words = await slack.fake.recorder.successful("chat.update").last?.arguments["blocks"]?.allText ?? ""
            #expect(words.contains("*Expired* with 1 of 2 approvals (<@U0MGR0001>): the others did not come in time."), "\(words)")
            let dm = await slack.fake.recorder.successful("chat.postMessage").last?.arguments["text"]?.stringValue ?? ""
            #expect(dm.contains("expired with 1 of the 2 approvals it needed (Maria)"), "\(dm)")
            #expect(!dm.contains("never started"), "a request that was never approved was said to be approved")
        }
    }

    /// 20 simultaneous clicks by 3 approvers on a request that needs 2: exactly one approval moves it, exactly two
    /// approvals are recorded, and it is claimed for a run once.
    @Test func twentyClicksByThreeApproversOnARequestThatNeedsTwo() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            try await Self.requireTwoForDangerous(slack)
            let (id, _) = try await Self.submitDangerous(slack)
            try await slack.deliverOutbox()
            let approvers = [People.maria, People.ada, "U0MGR0003"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let response = try await slack.click("request.approve", request: id, as: approvers[index % 3])
                        #expect(response.status == .ok)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await slack.status(of: id) == .approved)
            #expect(try await Rows.count("request_approvals", in: slack.database) == 2)
            let audit = try await slack.store.recentAuditEntries(limit: 100).filter { $0.entityID == String(id) }
            #expect(audit.filter { $0.action == "request.approved" }.count == 1)
            #expect(audit.filter { $0.action == "request.approval_recorded" }.count == 1)
            #expect(audit.filter { $0.action.hasPrefix("request.approval") || $0.action == "request.decision_lost" || $0.action == "request.approved" }.count == 20,
                    "every click is audited once")
            let claimed = try await slack.store.claimApproved(executorID: "test-executor", lease: .seconds(10))
            #expect(claimed?.id == id)
            #expect(try await slack.store.claimApproved(executorID: "other-executor", lease: .seconds(10)) == nil)
        }
    }
}
