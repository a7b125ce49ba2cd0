import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway

/// A portal database with a small organisation in it, the fake Slack, and the Slack routes under test, with
/// helpers that send requests signed exactly as Slack signs them.
///
/// The organisation: pods `payments` (channel C0PAYMENTS) and `search` (C0SEARCH01); in payments the developer
/// Dev (U0DEV0001), the developer Devi (U0DEV0002), the manager Maria (U0MGR0001) and the deactivated manager Olga
/// (U0OLD0001); in search the manager Sam (U0MGR0002); the admin Ada (U0ADMIN01) in no pod. One target:
/// pg-main/customer_db.
struct SlackHarness: Sendable {
    let database: TestDatabase
    let fake: FakeSlack
    let client: any TestClientProtocol
    let signer = SlackSigner()

    enum People {
        static let dev = "U0DEV0001"
        static let devi = "U0DEV0002"
        static let maria = "U0MGR0001"
        static let olga = "U0OLD0001"
        static let sam = "U0MGR0002"
        static let ada = "U0ADMIN01"
        static let stranger = "U0NOBODY1"
    }

    var store: PortalStore { database.store }
    var slack: any SlackWebAPI { HTTPSlackWebAPI(baseURL: fake.apiURL, token: FakeSlack.botToken, logger: Self.quietLogger) }

    static var quietLogger: Logger {
        var logger = Logger(label: "slack-tests")
        logger.logLevel = .critical
        return logger
    }

    static func run(_ body: @Sendable @escaping (SlackHarness) async throws -> Void) async throws {
        try await TestDatabase.withMigrated { database in
            try await seed(database.store)
            try await FakeSlack.run { fake in
                let store = database.store
                let routes = SlackRoutes(
                    verifier: SlackRequestVerifier(signingSecret: SlackSigner.signingSecret), store: store,
                    slack: HTTPSlackWebAPI(baseURL: fake.apiURL, token: FakeSlack.botToken, logger: quietLogger), logger: quietLogger)
                let router = Router()
                routes.register(on: router)
                try await Application(router: router).test(.router) { client in
                    try await body(SlackHarness(database: database, fake: fake, client: client))
                }
            }
        }
    }

    static func seed(_ store: PortalStore) async throws {
        let actor = AuditActor.system
        try await store.addPod(NewPod(name: PodName("payments"), slackChannelID: SlackChannelID("C0PAYMENTS"), description: nil), by: actor)
        try await store.addPod(NewPod(name: PodName("search"), slackChannelID: SlackChannelID("C0SEARCH01"), description: nil), by: actor)
        let people: [(String, String, Role, String?, String)] = [
            ("dev@example.com", "Dev", .developer, "payments", People.dev),
            ("devi@example.com", "Devi", .developer, "payments", People.devi),
            ("maria@example.com", "Maria", .manager, "payments", People.maria),
            ("olga@example.com", "Olga", .manager, "payments", People.olga),
            ("sam@example.com", "Sam", .manager, "search", People.sam),
            ("ada@example.com", "Ada", .admin, nil, People.ada),
        ]
        for (email, name, role, pod, slack) in people {
            try await store.addUser(
                NewUser(email: EmailAddress(email), name: name, role: role, pod: try pod.map { try PodName($0) }, slackUserID: SlackUserID(slack)),
                by: actor)
        }
        try await store.setUserActive(email: EmailAddress("olga@example.com"), active: false, by: actor)
        let instance = NewInstance(name: try InstanceName("pg-main"), type: .postgresql,
                                   credentials: .environmentPrefix(try EnvironmentVariableName("PG_INSTANCE_1", field: "x")), description: nil)
        try await store.addInstance(instance, by: actor)
        try await store.addDatabase(instance: InstanceName("pg-main"), name: DatabaseName("customer_db"), description: nil, by: actor)
    }

    // MARK: - Requests from "Slack"

    /// POSTs `body` to `path`, signed (unless `headers` says otherwise).
    func post(_ path: String, body: String, headers: HTTPFields? = nil) async throws -> TestResponse {
        let signed = signer.headers(for: body)
        let fields = headers ?? [
            SlackHeaders.timestamp: signed.timestamp, SlackHeaders.signature: signed.signature,
            .contentType: "application/x-www-form-urlencoded",
        ]
        return try await client.execute(uri: path, method: .post, headers: fields, body: ByteBuffer(string: body))
    }

    /// `/query <text>` typed by `user`; returns the JSON reply (nil for an empty 200).
    func command(_ text: String, as user: String, triggerID: String = "1234.5678.abcdef") async throws -> (TestResponse, JSONValue?) {
        let response = try await post("/slack/commands", body: SlackSigner.slashCommandBody(text: text, user: user, triggerID: triggerID))
        return (response, JSONValue.decode(response.body.readableBytesView))
    }

    /// The text of the ephemeral reply to `/query <text>`.
    func reply(_ text: String, as user: String) async throws -> String {
        let (_, json) = try await command(text, as: user)
        return json?["text"]?.stringValue ?? ""
    }

    /// Submits `query` on pg-main/customer_db as `user` and returns the new request's id.
    func submit(_ query: String = "SELECT count(*) FROM customers", reason: String = "Ticket 4711", as user: String = People.dev) async throws -> Int {
        let text = try await reply("pg-main/customer_db \(reason) ```\(query)```", as: user)
        guard let range = text.range(of: "*#"), let id = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
            throw HarnessError("submission failed: \(text)")
        }
        return id
    }

    /// A click on a button of request `id`'s approval message.
    func click(_ actionID: String, request id: Int, as user: String) async throws -> TestResponse {
        let payload: JSONValue = [
            "type": "block_actions", "user": ["id": .string(user)], "trigger_id": "9999.8888.click",
            "channel": ["id": "C0PAYMENTS"], "container": ["type": "message", "channel_id": "C0PAYMENTS"],
            "actions": [["action_id": .string(actionID), "value": .string(String(id)), "type": "button"]],
        ]
        return try await post("/slack/interactions", body: SlackSigner.interactionBody(payload))
    }

    /// A modal submission with the given `callback_id`, state values and private metadata.
    func submitView(_ callbackID: String, values: JSONValue, metadata: JSONValue = [:], as user: String) async throws -> JSONValue? {
        let payload: JSONValue = [
            "type": "view_submission", "user": ["id": .string(user)], "trigger_id": "7777.6666.view",
            "view": ["id": "V0VIEW0001", "callback_id": .string(callbackID), "state": ["values": values],
                     "private_metadata": .string(String(decoding: metadata.encoded(), as: UTF8.self))],
        ]
        let response = try await post("/slack/interactions", body: SlackSigner.interactionBody(payload))
        return JSONValue.decode(response.body.readableBytesView)
    }

    /// Delivers everything the outbox holds, as the worker would, until nothing is due.
    func deliverOutbox(settings: SlackOutboxWorker.Settings = .fast) async throws {
        let worker = SlackOutboxWorker(store: store, slack: slack, settings: settings, logger: Self.quietLogger)
        for _ in 0..<200 {
            _ = await worker.deliverDue()
            let counts = try await store.outboxCounts()
            if counts.pending == 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("the outbox did not drain: \(try await store.outboxCounts())")
    }

    func status(of id: Int) async throws -> RequestStatus? {
        try await store.requestDetails(id: id)?.status
    }
}

extension SlackOutboxWorker.Settings {
    /// Milliseconds instead of seconds, so that retries happen within a test.
    static var fast: Self {
        var settings = Self()
        settings.pollInterval = .milliseconds(10)
        settings.backoffBase = .milliseconds(10)
        settings.maximumBackoff = .milliseconds(50)
        return settings
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
