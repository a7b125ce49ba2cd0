import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// The inputs that broke QueryGate, sent over a real socket to a running server (`.live`): afterwards it is
/// still alive, still answering, and still right.
@Suite struct LiveHostileCorpusTests {
    typealias People = AppHarness.People

    @Test(.timeLimit(.minutes(10)))
    func aRunningServerSurvivesTheHostileCorpus() async throws {
        try await AppHarness.run(.live) { app in
            let id = try await app.submit()
            let dev = try await app.signIn(Organisation.Emails.dev)
            let view = { (metadata: String, reason: JSONValue) -> JSONValue in
                ["type": "view_submission", "user": ["id": .string(People.maria)],
                 "view": ["callback_id": "request.reject", "private_metadata": .string(metadata),
                          "state": ["values": ["rejection": ["rejection_input": ["value": reason]]]]]]
            }
            let click = { (value: String) -> JSONValue in
                ["type": "block_actions", "user": ["id": .string(People.maria)], "channel": ["id": "C0PAYMENTS"], "trigger_id": "1.2.3",
                 "actions": [["action_id": "request.approve", "value": .string(value), "type": "button"]]]
            }
            var slack: [(String, String)] = [
                ("/slack/interactions", SlackSigner.interactionBody(view(#"{"request_id": 1e300}"#, "no"))),
                ("/slack/interactions", SlackSigner.interactionBody(view(#"{"request_id": -0}"#, "no"))),
                ("/slack/interactions", SlackSigner.interactionBody(view(#"{"request_id": \#(id)}"#, "no\u{0}"))),
                ("/slack/interactions", SlackSigner.interactionBody(click("0"))),
                ("/slack/interactions", SlackSigner.interactionBody(click("-1"))),
                ("/slack/interactions", SlackSigner.interactionBody(click("99999999999999999999"))),
                ("/slack/interactions", "payload=" + Fuzz.formEncode(Array(repeating: UInt8(ascii: "["), count: 100_000))),
                ("/slack/interactions", "payload=%FF%FE"),
                ("/slack/commands", SlackSigner.slashCommandBody(text: "pg-main/customer_db why\u{0} ```SELECT 1```", user: People.dev)),
                ("/slack/commands", SlackSigner.slashCommandBody(text: "cancel \(id)", user: "U0DEV\u{0}0001")),
                ("/slack/commands", SlackSigner.slashCommandBody(text: "status 99999999999999999999999", user: People.dev)),
                ("/slack/events", String(repeating: "{\"a\":", count: 50_000)),
            ]
            slack.append(("/slack/commands", SlackSigner.slashCommandBody(text: String(repeating: "x", count: 300_000), user: People.dev)))
            for (path, body) in slack {
                let response = try await app.post(path, body: body)
                #expect(response.status.code < 500, "\(path) \(body.prefix(200)) → \(response.status)")
            }
            let unsigned = try await app.client.execute(uri: "/slack/commands", method: .post, headers: [:], body: ByteBuffer(string: "user_id=%00"))
            #expect(unsigned.status == .unauthorized)

            let api: [(HTTPRequest.Method, String, String?, String?)] = [
                (.post, "/api/v1/auth/login", "application/json", #"{"email": "dev\u0000@example.com", "password": "x"}"#),
                (.post, "/api/v1/auth/login", "text/plain", #"{"email": "dev@example.com", "password": "x"}"#),
                (.post, "/api/v1/requests", "application/json", #"{"target": "pg-main/customer_db", "query": "SELECT 1", "reason": "\u0000"}"#),
                (.post, "/api/v1/requests", "application/json", String(repeating: "[", count: 200_000)),
                (.post, "/api/v1/requests", "application/json", #"{"target": 1e300, "query": [], "reason": {}}"#),
                (.get, "/api/v1/requests?from=2026-01-01T25:00:00Z", nil, nil),
                (.get, "/api/v1/requests?limit=99999999999999999999999&cursor=-1", nil, nil),
                (.get, "/api/v1/databases?search=%00", nil, nil),
                (.get, "/api/v1/requests/0", nil, nil),
                (.post, "/api/v1/requests/-1/approve", nil, nil),
            ]
            for (method, path, contentType, body) in api {
                var headers: HTTPFields = [.authorization: "Bearer \(dev.access)"]
                if let contentType { headers[.contentType] = contentType }
                let response = try await app.client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                #expect((400..<500).contains(response.status.code), "\(method) \(path) → \(response.status)")
            }

            // Alive, answering, and the request untouched.
            let health = try await app.client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(try await app.reply("status \(id)", as: People.dev).contains("#\(id)"))
            #expect(try await app.status(of: id) == .pending)
            #expect(try await app.api(.get, "/api/v1/me", token: dev.access).status == .ok)
        }
    }
}
