import Foundation
import HummingbirdTesting
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// The App Home inbox: published when a person opens it, republished when what it shows changes, and its
/// buttons work as the channel's do.
@Suite("The Home tab")
struct HomeTabTests {
    typealias People = AppHarness.People

    /// Slack's `app_home_opened` event for `user`, signed.
    static func openHome(_ slack: AppHarness, as user: String, tab: String = "home") async throws -> TestResponse {
        let event: JSONValue = [
            "type": "event_callback", "team_id": "T0TEAM001", "event_id": "Ev0HOME0001", "event_time": 1_732_460_000,
            "event": ["type": "app_home_opened", "user": .string(user), "channel": "D0HOME001", "tab": .string(tab),
                      "event_ts": "1732460000.000100"],
        ]
        return try await slack.post("/slack/events", body: String(decoding: event.encoded(), as: UTF8.self))
    }

    /// A click on a button of the Home tab: no channel, the view it sits in.
    static func clickInHome(_ slack: AppHarness, _ actionID: String, request id: Int, as user: String) async throws -> TestResponse {
        let payload: JSONValue = [
            "type": "block_actions", "user": ["id": .string(user)], "trigger_id": "9999.8888.home",
            "container": ["type": "view", "view_id": "V0HOME001"], "view": ["id": "V0HOME001", "type": "home"],
            "actions": [["action_id": .string(actionID), "value": .string(String(id)), "type": "button"]],
        ]
        return try await slack.post("/slack/interactions", body: SlackSigner.interactionBody(payload))
    }

    static func published(_ slack: AppHarness, for user: String) async -> [JSONValue] {
        await slack.fake.recorder.successful("views.publish").filter { $0.arguments["user_id"]?.stringValue == user }
            .compactMap { $0.arguments["view"] }
    }

    @Test func aManagerSeesWhatWaitsForThemWithTheButtonsAndADeveloperSeesTheirOwnRequests() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            let id = try await slack.submit()
            #expect(try await Self.openHome(slack, as: People.maria).status == .ok)
            #expect(try await Self.openHome(slack, as: People.dev).status == .ok)
            try await slack.deliverOutbox()

            let maria = try #require(await Self.published(slack, for: People.maria).last)
            #expect(maria["type"]?.stringValue == "home")
            let words = maria["blocks"]?.allText ?? ""
            #expect(words.contains("Waiting for your decision (1)"))
            #expect(words.contains("*#\(id)* `pg-main/customer_db` from <@U0DEV0001>"))
            let buttons = maria["blocks"]?.arrayValue?.last { $0["type"]?.stringValue == "actions" }?["elements"]?.arrayValue ?? []
            #expect(buttons.map { $0["action_id"]?.stringValue } == ["request.approve", "request.reject"])
            #expect(buttons.allSatisfy { $0["value"]?.stringValue == String(id) })

            let dev = try #require(await Self.published(slack, for: People.dev).last)
            let devWords = dev["blocks"]?.allText ?? ""
            #expect(!devWords.contains("Waiting for your decision"), "a developer decides nothing")
            #expect(devWords.contains("Your requests") && devWords.contains("*#\(id)* `pg-main/customer_db`: waiting for approval"))
            #expect(!devWords.contains("request.approve"))
        }
    }

    @Test func anotherPodsManagerSeesNothingToDecideAndAnAdminSeesEveryPod() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            let id = try await slack.submit()
            _ = try await Self.openHome(slack, as: People.sam)
            _ = try await Self.openHome(slack, as: People.ada)
            try await slack.deliverOutbox()
            let sam = await Self.published(slack, for: People.sam).last?["blocks"]?.allText ?? ""
            #expect(sam.contains("Waiting for your decision (0)") && sam.contains("Nothing waits for you.") && !sam.contains("#\(id)"))
            let ada = await Self.published(slack, for: People.ada).last?["blocks"]?.allText ?? ""
            #expect(ada.contains("Waiting for your decision (1)") && ada.contains("*#\(id)*"))
        }
    }

    @Test func strangersAndDeactivatedPeopleAreToldHowToGetAccess() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            _ = try await Self.openHome(slack, as: People.stranger)
            _ = try await Self.openHome(slack, as: People.olga)
            _ = try await Self.openHome(slack, as: People.maria, tab: "messages")
            try await slack.deliverOutbox()
            #expect((await Self.published(slack, for: People.stranger).last?["blocks"]?.allText ?? "").contains("You do not have a QueryGate account yet"))
            #expect((await Self.published(slack, for: People.olga).last?["blocks"]?.allText ?? "").contains("To get access again"))
            #expect(await Self.published(slack, for: People.maria).isEmpty, "the Messages tab is not the Home tab")
        }
    }

    @Test func theTabIsRepublishedWhenItsRequestsChangeOnlyForThoseWhoOpenedIt() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            _ = try await Self.openHome(slack, as: People.maria)
            try await slack.deliverOutbox()
            #expect(await Self.published(slack, for: People.maria).count == 1)

            let id = try await slack.submit()
            try await slack.deliverOutbox()
            #expect((await Self.published(slack, for: People.maria).last?["blocks"]?.allText ?? "").contains("*#\(id)*"), "a new request to decide")

            _ = try await slack.click("request.approve", request: id, as: People.ada)
            try await slack.deliverOutbox()
            let after = await Self.published(slack, for: People.maria)
            #expect(after.count == 3)
            #expect((after.last?["blocks"]?.allText ?? "").contains("Nothing waits for you."))
            #expect(await Self.published(slack, for: People.dev).isEmpty, "Dev never opened the tab")
            #expect(await Self.published(slack, for: People.ada).isEmpty, "Ada never opened the tab")
        }
    }

    @Test func theButtonsInTheTabDecideAsTheChannelsDoAndARefusalIsShownOnTop() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            let id = try await slack.submit()
            try await slack.deliverOutbox()
            #expect(try await Self.clickInHome(slack, "request.approve", request: id, as: People.dev).status == .ok)
            #expect(try await slack.status(of: id) == .pending)
            try await slack.deliverOutbox()
            let notice = await Self.published(slack, for: People.dev).last?["blocks"]?.allText ?? ""
            #expect(notice.contains("ℹ️ You cannot do that to request #\(id): nobody approves or rejects their own request"))

            #expect(try await Self.clickInHome(slack, "request.approve", request: id, as: People.maria).status == .ok)
            #expect(try await slack.status(of: id) == .approved)
            #expect(try await slack.store.recentAuditEntries(limit: 5).contains { $0.action == "request.approved" && $0.source == "slack" })

            // Reject from the tab opens the same form.
            let other = try await slack.submit()
            _ = try await Self.clickInHome(slack, "request.reject", request: other, as: People.maria)
            #expect(await slack.fake.recorder.successful("views.open").last?.arguments["view"]?["callback_id"]?.stringValue == "request.reject")
        }
    }

    @Test func anApproverWhoHasApprovedAlreadySeesTheRequestNoLongerWaitingForThem() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            try await slack.store.setApprovals(of: PodName("payments"), [.readOnly: 2], by: .system)
            let id = try await slack.submit()
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            _ = try await Self.openHome(slack, as: People.maria)
            _ = try await Self.openHome(slack, as: People.ada)
            try await slack.deliverOutbox()
            #expect((await Self.published(slack, for: People.maria).last?["blocks"]?.allText ?? "").contains("Nothing waits for you."))
            let ada = await Self.published(slack, for: People.ada).last?["blocks"]?.allText ?? ""
            #expect(ada.contains("*#\(id)*") && ada.contains("1 of 2 approvals: <@U0MGR0001>"))
        }
    }
}
