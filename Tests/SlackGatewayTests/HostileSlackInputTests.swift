import Foundation
import Hummingbird
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Signed Slack requests with hostile content: numbers that do not fit, NUL characters, ids that do not exist or
/// are not the clicker's to see. None may crash the server, answer 500, or tell a hidden request from a missing one.
@Suite("Hostile input from Slack")
struct HostileSlackInputTests {
    typealias People = AppHarness.People

    @Test("A rejection form whose metadata names no usable request is a form error", arguments: [
        JSONValue.number(1e300), .number(-1e300), .number(-0.0), .number(0), .number(-1), .number(2.5), .number(9.3e18), .string("1"), .null,
    ])
    func rejectionMetadataOutOfRange(requestID: JSONValue) async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            let answer = try await slack.submitView(
                "request.reject", values: ["rejection": ["rejection_input": ["value": "no"]]],
                metadata: ["request_id": requestID, "channel_id": "C0PAYMENTS"], as: People.maria)
            #expect(answer?["errors"]?["rejection"]?.stringValue == "This form lost track of its request; click Reject again.")
            #expect(try await slack.status(of: id) == .pending)
        }
    }

    @Test("A button whose value names no request is answered, audited, and changes nothing", arguments: [
        "0", "-1", "abc", "99999999999999999999", "9223372036854775808", "", "1e300", " 1",
    ])
    func buttonValuesOutOfRange(value: String) async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            try await slack.deliverOutbox()
            for action in ["request.approve", "request.reject"] {
                let payload: JSONValue = [
                    "type": "block_actions", "user": ["id": .string(People.maria)], "trigger_id": "1.2.3", "channel": ["id": "C0PAYMENTS"],
                    "actions": [["action_id": .string(action), "value": .string(value), "type": "button"]],
                ]
                #expect(try await slack.post("/slack/interactions", body: SlackSigner.interactionBody(payload)).status == .ok)
            }
            try await slack.deliverOutbox()
            let texts = await slack.fake.recorder.successful("chat.postEphemeral").compactMap { $0.arguments["text"]?.stringValue }
            #expect(texts == Array(repeating: "There is no request of that number that you can see.", count: 2))
            let audit = try await slack.store.recentAuditEntries(limit: 2)
            #expect(audit.map(\.action) == ["request.rejection_refused", "request.approval_refused"])
            #expect(try await slack.status(of: id) == .pending)
        }
    }

    @Test func aNULInACommandIsAnsweredEphemerallyAndNothingIsStored() async throws {
        try await AppHarness.run { slack in
            for text in ["pg-main/customer_db Ticket\u{0}1 ```SELECT 1```", "pg-main/customer_db Ticket 1 ```SELECT '\u{0}'```", "status 1\u{0}"] {
                let (response, json) = try await slack.command(text, as: People.dev)
                #expect(response.status == .ok)
                #expect(json?["response_type"]?.stringValue == "ephemeral")
                #expect(json?["text"]?.stringValue?.contains("text contains a NUL character (U+0000)") == true, "\(String(describing: json))")
            }
            #expect(try await Rows.count("query_requests", in: slack.database) == 0)
        }
    }

    @Test("A user or channel id that is not one is a 400", arguments: [
        ("U0DEV\u{0}0001", "C0DEV00001"), ("U0DEV0001", "C0DEV\u{0}001"), ("' OR 1=1 --", "C0DEV00001"), ("U0DEV0001", "#general"), ("", "C1"),
    ])
    func malformedSlackIDs(user: String, channel: String) async throws {
        try await AppHarness.run { slack in
            let command = try await slack.post("/slack/commands", body: SlackSigner.slashCommandBody(text: "list", user: user, channel: channel))
            #expect(command.status == .badRequest)
            let click: JSONValue = [
                "type": "block_actions", "user": ["id": .string(user)], "channel": ["id": .string(channel)],
                "actions": [["action_id": "request.approve", "value": "1", "type": "button"]],
            ]
            #expect(try await slack.post("/slack/interactions", body: SlackSigner.interactionBody(click)).status == .badRequest)
        }
    }

    @Test func aDirectMessageChannelIsAChannelToo() async throws {
        try await AppHarness.run { slack in
            let response = try await slack.post("/slack/commands", body: SlackSigner.slashCommandBody(text: "list", user: People.dev, channel: "D0DM000001"))
            #expect(response.status == .ok)
        }
    }

    @Test func aNULInAFormShowsUnderItsFieldAndNothingIsStored() async throws {
        try await AppHarness.run { slack in
            let values: JSONValue = [
                "target": ["target_select": ["selected_option": ["value": "pg-main/customer_db"]]],
                "type": ["type_select": ["selected_option": ["value": "query"]]],
                "query": ["query_input": ["value": "SELECT 1\u{0}"]],
                "reason": ["reason_input": ["value": "Ticket 1"]],
            ]
            let answer = try await slack.submitView("request.new", values: values, as: People.dev)
            #expect(answer?["response_action"]?.stringValue == "errors")
            #expect(answer?["errors"]?["query"]?.stringValue?.contains("NUL character") == true, "\(String(describing: answer))")
            #expect(try await Rows.count("query_requests", in: slack.database) == 0)

            let id = try await slack.submit()
            let rejection = try await slack.submitView(
                "request.reject", values: ["rejection": ["rejection_input": ["value": "no\u{0}"]]],
                metadata: ["request_id": .number(Double(id))], as: People.maria)
            #expect(rejection?["errors"]?["rejection"]?.stringValue?.contains("NUL character") == true)
            let hiddenInMetadata = try await slack.submitView(
                "request.reject", values: ["rejection": ["rejection_input": ["value": "no"]]],
                metadata: ["request_id": .number(Double(id)), "channel_id": "C\u{0}"], as: People.maria)
            #expect(hiddenInMetadata?["errors"]?["rejection"]?.stringValue?.contains("NUL character") == true)
            #expect(try await slack.status(of: id) == .pending)
        }
    }

    @Test func aNULInThePickersSearchFindsNothing() async throws {
        try await AppHarness.run { slack in
            for search in ["customer", "cust\u{0}"] {
                let payload: JSONValue = ["type": "block_suggestion", "user": ["id": .string(People.dev)], "action_id": "target_select",
                                          "block_id": "target", "value": .string(search)]
                let response = try await slack.post("/slack/interactions", body: SlackSigner.interactionBody(payload))
                #expect(response.status == .ok)
                let options = JSONValue.decode(response.body.readableBytesView)?["options"]?.arrayValue
                #expect(options?.count == (search == "customer" ? 1 : 0))
            }
        }
    }

    @Test func bytesThatAreNotUTF8AreRefused() async throws {
        try await AppHarness.run { slack in
            let command = try await slack.post("/slack/commands", body: SlackSigner.slashCommandBody(text: "list", user: People.dev) + "&text=%FF%FE")
            #expect(command.status == .ok)
            #expect(JSONValue.decode(command.body.readableBytesView)?["text"]?.stringValue?.contains("text is not UTF-8 text") == true)
            let interaction = try await slack.post("/slack/interactions", body: "payload=%C3%28")
            #expect(interaction.status == .badRequest)
        }
    }

    /// Sam manages another pod and Devi is a developer: neither may see Dev's request, so whatever they ask about
    /// it, the answer is word for word the one about a request that does not exist.
    @Test("A hidden request answers exactly as a missing one", arguments: [People.sam, People.devi])
    func hiddenLooksMissing(person: String) async throws {
        try await AppHarness.run { slack in
            let hidden = try await slack.submit()
            let missing = 987_654
            func answers(_ id: Int) async throws -> [String] {
                var texts = [try await slack.reply("status \(id)", as: person), try await slack.reply("cancel \(id)", as: person)]
                let before = await slack.fake.recorder.successful("chat.postEphemeral").count
                _ = try await slack.click("request.approve", request: id, as: person)
                _ = try await slack.click("request.reject", request: id, as: person)
                try await slack.deliverOutbox()
                texts += await slack.fake.recorder.successful("chat.postEphemeral").dropFirst(before).compactMap { $0.arguments["text"]?.stringValue }
                let form = try await slack.submitView(
                    "request.reject", values: ["rejection": ["rejection_input": ["value": "no"]]], metadata: ["request_id": .number(Double(id))],
                    as: person)
                texts.append(form?["errors"]?["rejection"]?.stringValue ?? "")
                return texts.map { $0.replacingOccurrences(of: "#\(id)", with: "#N") }
            }
            let forHidden = try await answers(hidden)
            #expect(forHidden.count == 5)
            #expect(forHidden == (try await answers(missing)))
            #expect(Set(forHidden) == ["There is no request #N that you can see."])
            #expect(await slack.fake.recorder.successful("views.open").isEmpty)
            #expect(try await slack.status(of: hidden) == .pending)
        }
    }

    /// Approve and Reject clicked at once by the pod's manager, an admin and another pod's manager: one decides,
    /// and the audit log has exactly one row per click, the losers' with the state they found.
    @Test func everyClickOfARaceIsAudited() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            try await slack.deliverOutbox()
            let clicks = 24
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<clicks {
                    group.addTask {
                        let who = [People.maria, People.ada, People.sam][index % 3]
                        let action = index % 4 == 3 ? "request.reject" : "request.approve"
                        let response = try await slack.click(action, request: id, as: who)
                        #expect(response.status == .ok)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await slack.status(of: id) == .approved)
            let rows = try await Rows.strings(
                "SELECT action || ' ' || coalesce(details->>'status', '') FROM audit_logs WHERE entity_type = 'query_request' AND entity_id = '\(id)' AND action <> 'request.submitted'",
                in: slack.database)
            #expect(rows.count == clicks, "\(rows)")
            #expect(rows.filter { $0.hasPrefix("request.approved") }.count == 1)
            #expect(rows.filter { $0.hasPrefix("request.approval_refused") || $0.hasPrefix("request.rejection_refused") }.count == clicks / 3)
            let late = rows.filter { $0.hasPrefix("request.decision_lost") }
            #expect(late.allSatisfy { $0 == "request.decision_lost approved" }, "\(late)")
            #expect(rows.allSatisfy { ["request.approved", "request.approval_refused", "request.rejection_refused", "request.decision_lost",
                                       "request.rejection_started"].contains($0.split(separator: " ").first.map(String.init) ?? "") })
        }
    }
}
