import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PortalAPI
import PortalStore
import QueryGateCore
import QueryGateServer
import QueryGateTestSupport
import SlackGateway

/// QueryGate's HTTP side over a `PrivateCluster` (a portal database the test may stop), with production's portal
/// deadlines and a live socket, so that what is measured is what Slack would see.
struct FaultHarness: Sendable {
    let cluster: PrivateCluster
    let fake: FakeSlack
    let client: any TestClientProtocol
    let signer = SlackSigner()

    static func run(_ body: @Sendable @escaping (FaultHarness) async throws -> Void) async throws {
        try await PrivateCluster.run { cluster in
            try await Organisation.seed(cluster.store)
            let hasher = try await PasswordHasher(threadPool: .singleton, cost: 4)
            try await cluster.store.setPasswordHash(try await hasher.hash(AppHarness.password), for: try EmailAddress(Organisation.Emails.dev), by: .system)
            let tokens = await TokenService(secret: AppHarness.jwtSecret, accessLifetime: .seconds(300), refreshLifetimeDays: 7)
            try await FakeSlack.run { fake in
                let logger = AppHarness.quietLogger
                let routes = SlackRoutes(
                    verifier: SlackRequestVerifier(signingSecret: SlackSigner.signingSecret), store: cluster.store,
                    slack: HTTPSlackWebAPI(baseURL: fake.apiURL, token: FakeSlack.botToken, logger: logger), logger: logger)
                let api = PortalAPI(store: cluster.store, tokens: tokens, hasher: hasher, logger: logger)
                let router = QueryGateApp.router(store: cluster.store, slack: routes, api: api)
                try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
                    .test(.live) { client in
                        try await body(FaultHarness(cluster: cluster, fake: fake, client: client))
                    }
            }
        }
    }

    /// `/query <text>` typed by `user`: the reply's text, and how long the answer took.
    func command(_ text: String, as user: String = Organisation.SlackIDs.dev) async throws -> (status: HTTPResponse.Status, text: String, took: Duration) {
        let body = SlackSigner.slashCommandBody(text: text, user: user)
        let started = ContinuousClock.now
        let response = try await post("/slack/commands", body: body)
        let took = started.duration(to: .now)
        return (response.status, JSONValue.decode(response.body.readableBytesView)?["text"]?.stringValue ?? String(buffer: response.body), took)
    }

    /// A click on Approve of request `id` by `user`.
    func approve(_ id: Int, as user: String = Organisation.SlackIDs.maria) async throws -> (status: HTTPResponse.Status, took: Duration) {
        let payload: JSONValue = [
            "type": "block_actions", "user": ["id": .string(user)], "trigger_id": "1.2.3", "channel": ["id": "C0PAYMENTS"],
            "actions": [["action_id": "request.approve", "value": .string(String(id)), "type": "button"]],
        ]
        let started = ContinuousClock.now
        let response = try await post("/slack/interactions", body: SlackSigner.interactionBody(payload))
        return (response.status, started.duration(to: .now))
    }

    func post(_ path: String, body: String) async throws -> TestResponse {
        let signed = signer.headers(for: body)
        return try await client.execute(uri: path, method: .post, headers: [
            SlackHeaders.timestamp: signed.timestamp, SlackHeaders.signature: signed.signature, .contentType: "application/x-www-form-urlencoded",
        ], body: ByteBuffer(string: body))
    }

    /// Calls the API with JSON and an optional bearer token.
    func api(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: JSONValue) async throws -> (status: HTTPResponse.Status, json: JSONValue?, took: Duration) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let started = ContinuousClock.now
        let response = try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(bytes: json.encoded()))
        return (response.status, JSONValue.decode(response.body.readableBytesView), started.duration(to: .now))
    }

    /// How many requests, notifications and audit rows the portal database holds.
    func counts() async throws -> (requests: Int, notifications: Int, audit: Int) {
        let rows = try await cluster.client.query(
            "SELECT (SELECT count(*) FROM query_requests), (SELECT count(*) FROM slack_notifications), (SELECT count(*) FROM audit_logs)",
            logger: AppHarness.quietLogger)
        return try await rows.decode((Int, Int, Int).self).first { _ in true } ?? (-1, -1, -1)
    }

    /// Waits until the restarted server answers through the pool again.
    func waitUntilReachable() async throws {
        for _ in 0..<100 {
            if await cluster.store.isReachable(within: .seconds(1)) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("the portal database did not come back")
    }
}
