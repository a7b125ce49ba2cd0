import Foundation
import HummingbirdTesting
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Slack's routes on the twins (`MemorySlackHarness`): what a command, a click or a form does and answers, without
/// PostgreSQL. The twin answers as the real store does (`SlackDeskContractTests`); what happens after the answer
/// (the outbox's deliveries, the approval message, the run) is the PostgreSQL suites' to test.
@Suite("Slack's routes on the twins")
struct SlackRoutesOnTwinsTests {
    typealias SlackIDs = Organisation.SlackIDs

    @Test func aSubmissionAnswersWithItsNumberAndIsRecordedAsPending() async throws {
        try await MemorySlackHarness.run { slack in
            let text = try await slack.reply("pg-main/customer_db Ticket 4711 ```SELECT count(*) FROM customers```", as: SlackIDs.dev)
            #expect(text.hasPrefix("Request *#1* on `pg-main/customer_db` is waiting for <@U0MGR0001> (or an admin) in <#C0PAYMENTS>."),
                    "\(text)")
            let stored = try #require(try await slack.desk.requestDetails(id: 1))
            #expect(stored.status == .pending)
            #expect(stored.queryText == "SELECT count(*) FROM customers")
            #expect(stored.requester.email == Organisation.Emails.dev)
            #expect(await slack.desk.audit.map(\.source) == [.slack])
        }
    }

    @Test func aStrangerAndADeactivatedPersonAreToldHowToGetAccessAndNothingIsRecorded() async throws {
        try await MemorySlackHarness.run { slack in
            let stranger = try await slack.reply("pg-main/customer_db Ticket ```SELECT 1```", as: SlackIDs.stranger)
            #expect(stranger.hasPrefix("You do not have a QueryGate account yet."))
            let olga = try await slack.reply("pg-main/customer_db Ticket ```SELECT 1```", as: SlackIDs.olga)
            #expect(olga.hasPrefix("Your QueryGate account is deactivated"))
            #expect(await slack.desk.requestCount == 0)
        }
    }

    @Test func theRequesterCannotApproveTheirOwnAndIsToldInTheChannel() async throws {
        try await MemorySlackHarness.run { slack in
            let id = try await slack.submit()
            #expect(try await slack.click("request.approve", request: id, as: SlackIDs.dev).status == .ok)
            #expect(try await slack.status(of: id) == .pending)
            #expect(await slack.desk.queued == [.ephemeral(
                text: "You cannot do that to request #\(id): nobody approves or rejects their own request; another approver of your pod has to.",
                user: SlackIDs.dev, channel: "C0PAYMENTS", requestID: id)])
            #expect(await slack.desk.audit.map(\.action) == [.requestSubmitted, .approvalRefused])
        }
    }

    @Test func aManagerApprovesOnceAndALateClickIsToldWhatHappened() async throws {
        try await MemorySlackHarness.run { slack in
            let id = try await slack.submit()
            #expect(try await slack.click("request.approve", request: id, as: SlackIDs.maria).status == .ok)
            #expect(try await slack.status(of: id) == .approved)
            #expect(await slack.desk.queued.isEmpty, "the winner's answer is the updated message, not an ephemeral one")
            _ = try await slack.click("request.approve", request: id, as: SlackIDs.ada)
            #expect(await slack.desk.queued == [.ephemeral(text: "Request #\(id) is already approved; nothing changed.",
                                                           user: SlackIDs.ada, channel: "C0PAYMENTS", requestID: id)])
        }
    }

    @Test func anotherPodsManagerAndAStrangerLearnNothingAndAreAudited() async throws {
        try await MemorySlackHarness.run { slack in
            let id = try await slack.submit()
            _ = try await slack.click("request.approve", request: id, as: SlackIDs.sam)
            _ = try await slack.click("request.reject", request: id, as: SlackIDs.stranger)
            #expect(try await slack.status(of: id) == .pending)
            #expect(await slack.fake.recorder.successful("views.open").isEmpty, "a stranger got the rejection form")
            let queued = await slack.desk.queued
            #expect(queued.count == 2)
            #expect(queued.first == .ephemeral(text: "There is no request #\(id) that you can see.", user: SlackIDs.sam, channel: "C0PAYMENTS",
                                               requestID: nil))
            guard case .ephemeral(let text, SlackIDs.stranger, "C0PAYMENTS", nil)? = queued.last else {
                Issue.record("the stranger was not answered in the channel: \(queued)")
                return
            }
            #expect(text.hasPrefix("You do not have a QueryGate account yet."))
            let audit = await slack.desk.audit
            #expect(audit.map(\.action) == [.requestSubmitted, .approvalRefused, .rejectionRefused])
            #expect(audit.last?.actor == "slack:\(SlackIDs.stranger)")
            #expect(audit.last?.details["why"] == "unknown Slack user")
        }
    }

    @Test func rejectingOpensTheFormThenTheReasonDecides() async throws {
        try await MemorySlackHarness.run { slack in
            let id = try await slack.submit()
            _ = try await slack.click("request.reject", request: id, as: SlackIDs.maria)
            let form = try #require(await slack.fake.recorder.successful("views.open").first?.arguments)
            #expect(form["view"]?["callback_id"]?.stringValue == "request.reject")
            #expect(try await slack.status(of: id) == .pending)

            let metadata = JSONValue.decode(Array((form["view"]?["private_metadata"]?.stringValue ?? "").utf8)) ?? [:]
            let blank = try await slack.submitView(
                "request.reject", values: ["rejection": ["rejection_input": ["value": " "]]], metadata: metadata, as: SlackIDs.maria)
            #expect(blank?["errors"]?["rejection"]?.stringValue == "say why the request is rejected: the requester reads it")
            #expect(try await slack.status(of: id) == .pending)

            let done = try await slack.submitView(
                "request.reject", values: ["rejection": ["rejection_input": ["value": "not during the freeze"]]], metadata: metadata,
                as: SlackIDs.maria)
            #expect(done?["response_action"]?.stringValue == "clear")
            #expect(try await slack.desk.requestDetails(id: id)?.rejectionReason == "not during the freeze")
            #expect(await slack.desk.audit.map(\.action) == [.requestSubmitted, .rejectionStarted, .requestRejected])
        }
    }

    @Test func statusListCancelAndRemindAnswerTheRequesterAndNobodyElse() async throws {
        try await MemorySlackHarness.run { slack in
            let id = try await slack.submit()
            #expect(try await slack.reply("status \(id)", as: SlackIDs.sam) == "There is no request #\(id) that you can see.")
            #expect(try await slack.reply("list", as: SlackIDs.dev).contains("*#\(id)* `pg-main/customer_db` pending: Ticket 4711"))
            #expect(try await slack.reply("list", as: SlackIDs.devi) == "You have no requests yet. `/query help` shows how to make one.")
            #expect(try await slack.reply("remind \(id)", as: SlackIDs.dev) == "Reminded the approvers of request #\(id), in its thread.")
            #expect(try await slack.reply("remind \(id)", as: SlackIDs.dev).hasPrefix("You reminded the approvers of request #\(id) less than an hour ago"))
            #expect(try await slack.reply("cancel \(id)", as: SlackIDs.maria).hasPrefix("You cannot do that to request #\(id):"))
            #expect(try await slack.reply("cancel \(id)", as: SlackIDs.dev) == "Request #\(id) is cancelled.")
            #expect(try await slack.reply("remind \(id)", as: SlackIDs.dev) == "Request #\(id) is cancelled: it no longer waits for a decision.")
            #expect(await slack.desk.queued == [.reminder(requestID: id)])
        }
    }

    @Test func theHomeTabIsPublishedWhenOpenedAndAClickInItIsAnsweredOnTop() async throws {
        try await MemorySlackHarness.run { slack in
            let id = try await slack.submit()
            let opened: JSONValue = [
                "type": "event_callback", "team_id": "T0TEAM001", "event_id": "Ev0HOME0001", "event_time": 1_732_460_000,
                "event": ["type": "app_home_opened", "user": .string(SlackIDs.dev), "channel": "D0HOME001", "tab": "home",
                          "event_ts": "1732460000.000100"],
            ]
            #expect(try await slack.post("/slack/events", body: String(decoding: opened.encoded(), as: UTF8.self)).status == .ok)
            #expect(await slack.desk.homeTabOpened == [SlackIDs.dev])

            let click: JSONValue = [
                "type": "block_actions", "user": ["id": .string(SlackIDs.dev)], "trigger_id": "9999.8888.home",
                "container": ["type": "view", "view_id": "V0HOME001"], "view": ["id": "V0HOME001", "type": "home"],
                "actions": [["action_id": "request.approve", "value": .string(String(id)), "type": "button"]],
            ]
            #expect(try await slack.post("/slack/interactions", body: SlackSigner.interactionBody(click)).status == .ok)
            #expect(await slack.desk.queued == [
                .homeTab(user: SlackIDs.dev, notice: nil),
                .homeTab(user: SlackIDs.dev, notice: "You cannot do that to request #\(id): nobody approves or rejects their own request; another approver of your pod has to."),
            ])
        }
    }

    @Test func theTargetPickerSearchesTheDirectoryAndAStrangerGetsNoOptions() async throws {
        try await MemorySlackHarness.run { slack in
            func options(as user: String, typed: String) async throws -> [String] {
                let payload: JSONValue = [
                    "type": "block_suggestion", "user": ["id": .string(user)], "action_id": "target_select",
                    "value": .string(typed), "view": ["id": "V0VIEW0001", "callback_id": "request.new"],
                ]
                let response = try await slack.post("/slack/interactions", body: SlackSigner.interactionBody(payload))
                return JSONValue.decode(response.body.readableBytesView)?["options"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? []
            }
            let found = try await options(as: SlackIDs.dev, typed: "customer")
            let none = try await options(as: SlackIDs.dev, typed: "nothing-like-it")
            let strangers = try await options(as: SlackIDs.stranger, typed: "customer")
            #expect(found == ["pg-main/customer_db"])
            #expect(none == [])
            #expect(strangers == [], "a stranger learns no database's name")
        }
    }
}
