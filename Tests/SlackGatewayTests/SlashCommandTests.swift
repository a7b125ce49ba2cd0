import Foundation
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

@Suite("/query in Slack")
struct SlashCommandTests {
    typealias People = AppHarness.People

    @Test func anInlineRequestIsRecordedAndPostedToThePodsChannelWithButtons() async throws {
        try await AppHarness.run { slack in
            let (response, json) = try await slack.command(
                "pg-main/customer_db Ticket 4711: yesterday's sign-ups ```SELECT id, email FROM customers WHERE id &lt; 10```", as: People.dev)
            #expect(response.status == .ok)
            #expect(json?["response_type"]?.stringValue == "ephemeral")
            let text = json?["text"]?.stringValue ?? ""
            #expect(text.hasPrefix("Request *#1* on `pg-main/customer_db` is waiting for <@U0MGR0001> (or an admin) in <#C0PAYMENTS>."))

            let stored = try #require(try await slack.store.requestDetails(id: 1))
            #expect(stored.status == .pending)
            #expect(stored.queryText == "SELECT id, email FROM customers WHERE id < 10")
            #expect(stored.reason == "Ticket 4711: yesterday's sign-ups")
            #expect(await slack.fake.recorder.calls.isEmpty, "the request path made a Web API call")

            try await slack.deliverOutbox()
            let posts = await slack.fake.recorder.successful("chat.postMessage")
            #expect(posts.count == 1)
            let message = try #require(posts.first?.arguments)
            #expect(message["channel"]?.stringValue == "C0PAYMENTS")
            let words = message["blocks"]?.allText ?? ""
            #expect(words.contains("Query request #1"))
            #expect(words.contains("<@U0DEV0001>"))
            #expect(words.contains("`pg-main/customer_db` (postgresql)"))
            #expect(words.contains("> Ticket 4711: yesterday's sign-ups"))
            #expect(words.contains("```SELECT id, email FROM customers WHERE id &lt; 10```"))
            #expect(words.contains("Waiting for <@U0MGR0001> or an admin."))
            #expect(words.contains("*Risk:* 🟢 read-only (it runs in a read-only transaction)"))
            let buttons = message["blocks"]?.arrayValue?.last?["elements"]?.arrayValue ?? []
            #expect(buttons.map { $0["action_id"]?.stringValue } == ["request.approve", "request.reject"])
            #expect(buttons.map { $0["value"]?.stringValue } == ["1", "1"])

            let recorded = try #require(try await slack.store.requestDetails(id: 1))
            #expect(recorded.slackChannelID == "C0PAYMENTS")
            #expect(recorded.slackMessageTS == "1732460000.000101")
            #expect(try await slack.store.recentAuditEntries(limit: 1).first?.action == "request.submitted")
        }
    }

    @Test func aVeryLongQueryIsShortenedToFitSlacksLimits() async throws {
        try await AppHarness.run { slack in
            let query = "SELECT " + (1...2_500).map { "c\($0)" }.joined(separator: ", ") + " FROM customers"
            #expect(query.count > 3000 && query.count < NewRequest.maximumQueryLength)
            let id = try await slack.submit(query)
            try await slack.deliverOutbox()
            #expect(await slack.fake.recorder.violations.isEmpty)
            let words = await slack.fake.recorder.successful("chat.postMessage").first?.arguments["blocks"]?.allText ?? ""
            #expect(words.contains("shortened: the full \(query.count) characters are in the portal and in `/query status \(id)`"))
            #expect(try await slack.store.requestDetails(id: id)?.queryText == query)
        }
    }

    @Test func strangersAndDeactivatedUsersAreToldHowToGetAccessAndNothingHappens() async throws {
        try await AppHarness.run { slack in
            let stranger = try await slack.reply("pg-main/customer_db why ```SELECT 1```", as: People.stranger)
            #expect(stranger.hasPrefix("You do not have a QueryGate account yet."))
            let olga = try await slack.reply("pg-main/customer_db why ```SELECT 1```", as: People.olga)
            #expect(olga.hasPrefix("Your QueryGate account is deactivated"))
            // A malformed command, or one whose fields are refused, tells a stranger no more than a good one.
            for text in ["pg-main/customer_db why SELECT 1", "pg-main/customer_db ```SELECT 1```", "bogus"] {
                #expect(try await slack.reply(text, as: People.stranger).hasPrefix("You do not have a QueryGate account yet."), "\(text)")
                #expect(try await slack.reply(text, as: People.olga).hasPrefix("Your QueryGate account is deactivated"), "\(text)")
            }
            // Ada is an admin in no pod: nobody could approve her request.
            let ada = try await slack.reply("pg-main/customer_db why ```SELECT 1```", as: People.ada)
            #expect(ada.hasPrefix("you belong to no pod, so nobody could approve your request"))
            #expect(try await slack.store.outboxCounts() == (0, 0, 0))
            #expect(try await slack.store.requestDetails(id: 1) == nil)
        }
    }

    @Test("Bad inline requests are explained and store nothing", arguments: [
        ("pg-main/nope why ```SELECT 1```", "there is no database pg-main/nope"),
        ("pg-main/customer_db ```SELECT 1```", "say why you need this"),
        ("pg-main/customer_db why ``` ```", "the query is empty"),
        ("pg-main/customer_db why SELECT 1", "put the query between triple backticks"),
        ("pg-main/customer_db why ```SELECT 1; SELECT 2```", "this is 2 statements, and a query is one: send it as a script"),
        ("selcet 1", "I don't know `selcet`"),
    ])
    func badRequests(text: String, expected: String) async throws {
        try await AppHarness.run { slack in
            let reply = try await slack.reply(text, as: People.dev)
            #expect(reply.contains(expected), "\(reply)")
            #expect(reply.hasSuffix("`/query help` shows every form."))
            #expect(try await slack.store.requestDetails(id: 1) == nil)
        }
    }

    @Test func helpExplainsEveryForm() async throws {
        try await AppHarness.run { slack in
            let help = try await slack.reply("help", as: People.dev)
            for form in ["`/query` opens a form", "`/query pg-main/customer_db <reason>", "`/query script", "one transaction",
                         "`/query list`", "`/query status 42`", "`/query cancel 42`", "mongosh"] {
                #expect(help.contains(form), "\(form)")
            }
        }
    }

    @Test func listAndStatusShowOnlyWhatTheUserMaySee() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit("SELECT 1", reason: "first")
            _ = try await slack.submit("SELECT 2", reason: "second")
            let list = try await slack.reply("list", as: People.dev)
            #expect(list.contains("*#2* `pg-main/customer_db` pending: second"))
            #expect(list.contains("*#1* `pg-main/customer_db` pending: first"))
            #expect(try await slack.reply("list", as: People.devi).hasPrefix("You have no requests yet"))

            for viewer in [People.dev, People.maria, People.ada] {
                let (_, status) = try await slack.command("status \(id)", as: viewer)
                #expect(status?["blocks"]?.allText.contains("Query request #\(id)") == true, "\(viewer)")
                #expect(status?["blocks"]?.allText.contains("request.approve") == false)
            }
            for outsider in [People.devi, People.sam] {
                #expect(try await slack.reply("status \(id)", as: outsider) == "There is no request #\(id) that you can see.")
            }
        }
    }

    @Test func cancellingIsForTheRequesterOfAPendingRequest() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            try await slack.deliverOutbox()
            #expect(try await slack.reply("cancel \(id)", as: People.maria) == "You cannot do that to request #\(id): only the person who made a request can cancel it.")
            #expect(try await slack.reply("cancel \(id)", as: People.dev) == "Request #\(id) is cancelled.")
            #expect(try await slack.reply("cancel \(id)", as: People.dev) == "Request #\(id) is already cancelled; nothing changed.")
            #expect(try await slack.status(of: id) == .cancelled)

            try await slack.deliverOutbox()
            let update = try #require(await slack.fake.recorder.successful("chat.update").first?.arguments)
            #expect(update["ts"]?.stringValue == "1732460000.000101")
            #expect(update["blocks"]?.allText.contains("*Cancelled* by the requester") == true)
            #expect(update["blocks"]?.allText.contains("request.approve") == false)
            let dm = await slack.fake.recorder.successful("chat.postMessage").last?.arguments
            #expect(dm?["channel"]?.stringValue == "D0DEV0001")
            #expect(dm?["text"]?.stringValue?.hasPrefix("🚫 Your request *#\(id)* on `pg-main/customer_db` was cancelled.") == true)
        }
    }

    @Test func theFormOpensAtOnceOffersTargetsAndValidatesItsFields() async throws {
        try await AppHarness.run { slack in
            let (response, _) = try await slack.command("", as: People.dev, triggerID: "1111.2222.form")
            #expect(response.status == .ok)
            let opened = try #require(await slack.fake.recorder.successful("views.open").first?.arguments)
            #expect(opened["trigger_id"]?.stringValue == "1111.2222.form")
            #expect(opened["view"]?["callback_id"]?.stringValue == "request.new")

            let suggestion: JSONValue = ["type": "block_suggestion", "user": ["id": "U0DEV0001"], "action_id": "target_select",
                                         "block_id": "target", "value": "CUST"]
            let options = JSONValue.decode(try await slack.post("/slack/interactions", body: SlackSigner.interactionBody(suggestion)).body.readableBytesView)
            #expect(options?["options"]?.arrayValue?.map { $0["value"]?.stringValue } == ["pg-main/customer_db"])

            func values(target: String?, query: String, reason: String) -> JSONValue {
                var values: [String: JSONValue] = [
                    "type": ["type_select": ["type": "static_select", "selected_option": ["value": "script"]]],
                    "query": ["query_input": ["type": "plain_text_input", "value": .string(query)]],
                    "reason": ["reason_input": ["type": "plain_text_input", "value": .string(reason)]],
                ]
                if let target { values["target"] = ["target_select": ["type": "external_select", "selected_option": ["value": .string(target)]]] }
                return .object(values)
            }
            let empty = try await slack.submitView("request.new", values: values(target: nil, query: " ", reason: ""), as: People.dev)
            #expect(empty?["response_action"]?.stringValue == "errors")
            #expect(Set(empty?["errors"].map { if case .object(let o) = $0 { Array(o.keys) } else { [] } } ?? []) == ["target", "query", "reason"])
            let tooLong = try await slack.submitView(
                "request.new", values: values(target: "pg-main/customer_db", query: String(repeating: "x", count: 20_001), reason: "r"), as: People.dev)
            #expect(tooLong?["errors"]?["query"]?.stringValue?.contains("longer than 20000") == true)
            let unknown = try await slack.submitView("request.new", values: values(target: "pg-main/gone", query: "SELECT 1", reason: "r"), as: People.dev)
            #expect(unknown?["errors"]?["target"]?.stringValue?.contains("there is no database pg-main/gone") == true)
            #expect(try await slack.store.requestDetails(id: 1) == nil)

            let done = try await slack.submitView(
                "request.new", values: values(target: "pg-main/customer_db", query: "UPDATE customers SET phone = NULL WHERE id = 3; SELECT 1",
                                              reason: "GDPR erasure"),
                metadata: ["channel_id": "C0DEV00001"], as: People.dev)
            #expect(done?["response_action"]?.stringValue == "update")
            #expect(done?["view"]?.allText.contains("Request *#1* on `pg-main/customer_db` is waiting for <@U0MGR0001>") == true)
            let stored = try #require(try await slack.store.requestDetails(id: 1))
            #expect(stored.submissionType == .script)
            #expect(stored.reason == "GDPR erasure")
            try await slack.deliverOutbox()
            #expect(await slack.fake.recorder.successful("chat.postMessage").count == 1)
            #expect(await slack.fake.recorder.violations.isEmpty)
        }
    }
}
