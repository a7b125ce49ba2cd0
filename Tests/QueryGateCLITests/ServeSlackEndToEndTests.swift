import Foundation
import HummingbirdTesting
import NIOCore
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// `querygate serve` as deployed: configured only through its environment, Slack requests over real HTTP, the
/// outbox worker delivering to a Web API at SLACK_API_URL.
@Suite("querygate serve with Slack")
struct ServeSlackEndToEndTests {
    @Test(.timeLimit(.minutes(2)))
    func aSignedSlashCommandAndApprovalOverHTTPRunTheQueryAndAnswerInTheThread() async throws {
        try await TestDatabase.withTarget { target in
        try await TestDatabase.withMigrated { database in
            let store = database.store
            try await store.addPod(NewPod(name: PodName("payments"), slackChannelID: SlackChannelID("C0PAYMENTS"), description: nil), by: .system)
            try await store.addUser(NewUser(email: EmailAddress("dev@example.com"), name: "Dev", role: .developer, pod: PodName("payments"),
                                            slackUserID: SlackUserID("U0DEV0001")), by: .system)
            try await store.addUser(NewUser(email: EmailAddress("maria@example.com"), name: "Maria", role: .manager, pod: PodName("payments"),
                                            slackUserID: SlackUserID("U0MGR0001")), by: .system)
            try await store.addInstance(NewInstance(name: InstanceName("pg-main"), type: .postgresql,
                                                    credentials: .environmentPrefix(EnvironmentVariableName("PG_INSTANCE_1", field: "x")),
                                                    description: nil), by: .system)
            try await store.addDatabase(instance: InstanceName("pg-main"), name: DatabaseName(target.name), description: nil, by: .system)

            try await FakeSlack.run { fake in
                let directory = try Scratch.directory()
                defer { Scratch.remove(directory) }
                let environment = BinaryTests.baseEnvironment.merging(database.environment) { $1 }.merging([
                    "QUERYGATE_PORT": "0", "SLACK_SIGNING_SECRET": SlackSigner.signingSecret, "SLACK_BOT_TOKEN": FakeSlack.botToken,
                    "SLACK_API_URL": fake.apiURL.absoluteString, "PG_INSTANCE_1_HOST": target.server.host,
                    "PG_INSTANCE_1_PORT": String(target.server.port), "PG_INSTANCE_1_USER": target.server.user,
                    "PG_INSTANCE_1_PASSWORD": target.server.password,
                ]) { $1 }
                let process = try ChildProcess([ChildProcess.querygateExecutable, "serve"], environment: environment, directory: directory)
                defer { process.signal(SIGKILL) }
                #expect(await process.waitForOutput(containing: "Server started and listening on"), "\(process.output)")
                let port = try #require(BinaryTests.port(in: process.output))
                #expect(!process.output.contains(SlackSigner.signingSecret))
                #expect(!process.output.contains(FakeSlack.botToken))

                let body = SlackSigner.slashCommandBody(text: "pg-main/\(target.name) ticket 1 ```SELECT count(*) AS customers FROM customers```",
                                                        user: "U0DEV0001")
                let signed = SlackSigner().headers(for: body)
                try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
                    let response = try await client.post(
                        "/slack/commands",
                        headers: [SlackHeaders.timestamp: signed.timestamp, SlackHeaders.signature: signed.signature,
                                  .contentType: "application/x-www-form-urlencoded"],
                        body: ByteBuffer(string: body))
                    #expect(response.head.status == .ok)
                    let text = response.body.map { String(buffer: $0) } ?? ""
                    #expect(text.contains("Request *#1* on `pg-main/\(target.name)` is waiting"))

                    let forged = try await client.post("/slack/commands", headers: [SlackHeaders.timestamp: signed.timestamp,
                                                                                     SlackHeaders.signature: signed.signature],
                                                       body: ByteBuffer(string: body + "&extra=1"))
                    #expect(forged.head.status == .unauthorized)

                    let click = SlackSigner.interactionBody([
                        "type": "block_actions", "user": ["id": "U0MGR0001"], "channel": ["id": "C0PAYMENTS"], "trigger_id": "1.2.3",
                        "actions": [["action_id": "request.approve", "value": "1", "type": "button"]],
                    ])
                    let clickSigned = SlackSigner().headers(for: click)
                    let approved = try await client.post(
                        "/slack/interactions",
                        headers: [SlackHeaders.timestamp: clickSigned.timestamp, SlackHeaders.signature: clickSigned.signature,
                                  .contentType: "application/x-www-form-urlencoded"],
                        body: ByteBuffer(string: click))
                    #expect(approved.head.status == .ok)
                }

                var posted: [FakeSlack.Call] = []
                for _ in 0..<100 where posted.isEmpty {
                    posted = await fake.recorder.successful("chat.postMessage")
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(posted.first?.arguments["channel"]?.stringValue == "C0PAYMENTS")
                var reply: JSONValue? = nil
                for _ in 0..<150 where reply == nil {
                    reply = await fake.recorder.successful("chat.postMessage").map(\.arguments).first { $0["thread_ts"] != nil }
                    try await Task.sleep(for: .milliseconds(100))
                }
                // The count in Slack's table, and as the monospace preview in the notification text.
                let table = reply?["blocks"]?.arrayValue?.first { $0["type"]?.stringValue == "table" }
                let cells = table?["rows"]?.arrayValue?.map { $0.arrayValue?.compactMap { $0["text"]?.stringValue } ?? [] }
                #expect(cells == [["customers"], ["200"]], "\(reply?["blocks"]?.allText ?? "")\n\(process.output)")
                #expect(reply?["text"]?.stringValue?.contains("customers\n---------\n200") == true)
                #expect(posted.first?.arguments["text"]?.stringValue?.hasPrefix("Query request #1 from Dev") == true)
                #expect(process.output.contains("refused a Slack request"))
                #expect(process.output.contains("signature does not match the body"))

                process.signal(SIGTERM)
                #expect(await process.waitForExit() == 0)
            }
        }
        }
    }
}
