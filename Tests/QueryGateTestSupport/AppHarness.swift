import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOPosix
import PortalAPI
import PortalStore
import QueryGateCore
import QueryGateServer
import SlackGateway

/// QueryGate's HTTP side as the server composes it (`QueryGateApp.router`: the Slack endpoints and the portal API)
/// over a portal database holding the test `Organisation`, with the fake Slack behind it. Helpers send Slack
/// requests signed exactly as Slack signs them; `PortalClient` speaks to the API.
///
/// Every seeded person has the portal password `AppHarness.password`.
public struct AppHarness: Sendable {
    public static let password = "correct horse battery staple"
    public static let jwtSecret = "test-only-jwt-secret-of-at-least-32-bytes!"
    public static let portalOrigin = "https://portal.example.com"

    public let database: TestDatabase
    public let fake: FakeSlack
    public let client: any TestClientProtocol
    public let tokens: TokenService
    public let signer = SlackSigner()

    public typealias People = Organisation.SlackIDs

    public var store: PortalStore { database.store }
    public var slack: any SlackWebAPI { HTTPSlackWebAPI(baseURL: fake.apiURL, token: FakeSlack.botToken, logger: Self.quietLogger) }

    public static var quietLogger: Logger {
        var logger = Logger(label: "slack-tests")
        logger.logLevel = .critical
        return logger
    }

    /// - Parameter mode: `.router` answers without a socket; `.live` serves on a loopback port, so the API sees a
    ///   client address (the sign-in limit per address needs one).
    /// A portal deadline loose enough for a loaded test machine; the fault tests pass production's.
    public static let patientDeadline = PortalDeadline.Budget(time: .seconds(30), grace: .seconds(5))

    public static func run(
        _ mode: TestingSetup = .router, accessLifetime: Duration = .seconds(300), deadline: PortalDeadline.Budget = patientDeadline,
        metricsToken: String? = nil, _ body: @Sendable @escaping (AppHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.withMigrated { database in
            let store = database.store
            try await seed(store)
            let hasher = try await PasswordHasher(threadPool: .singleton, cost: 4)
            let hash = try await hasher.hash(password)
            for email in [Organisation.Emails.dev, Organisation.Emails.devi, Organisation.Emails.maria, Organisation.Emails.olga,
                          Organisation.Emails.sam, Organisation.Emails.ada] {
                try await store.setPasswordHash(hash, for: try EmailAddress(email), by: .system)
            }
            let tokens = await TokenService(secret: jwtSecret, accessLifetime: accessLifetime, refreshLifetimeDays: 7)
            try await FakeSlack.run { fake in
                let routes = SlackRoutes(
                    verifier: SlackRequestVerifier(signingSecret: SlackSigner.signingSecret), store: store,
                    slack: HTTPSlackWebAPI(baseURL: fake.apiURL, token: FakeSlack.botToken, logger: quietLogger), deadline: deadline,
                    logger: quietLogger)
                let api = PortalAPI(store: store, tokens: tokens, hasher: hasher, deadline: deadline, logger: quietLogger)
                let router = QueryGateApp.router(store: store, slack: routes, api: api, corsOrigins: [portalOrigin],
                                                 metrics: metricsToken.map { PortalMetrics(store: store, token: $0) })
                try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
                    .test(mode) { client in
                        try await body(AppHarness(database: database, fake: fake, client: client, tokens: tokens))
                    }
            }
        }
    }

    public static func seed(_ store: PortalStore) async throws {
        try await Organisation.seed(store)
    }

    // MARK: - Requests from "Slack"

    /// POSTs `body` to `path`, signed (unless `headers` says otherwise).
    public func post(_ path: String, body: String, headers: HTTPFields? = nil) async throws -> TestResponse {
        let signed = signer.headers(for: body)
        let fields = headers ?? [
            SlackHeaders.timestamp: signed.timestamp, SlackHeaders.signature: signed.signature,
            .contentType: "application/x-www-form-urlencoded",
        ]
        return try await client.execute(uri: path, method: .post, headers: fields, body: ByteBuffer(string: body))
    }

    /// `/query <text>` typed by `user`; returns the JSON reply (nil for an empty 200).
    public func command(_ text: String, as user: String, triggerID: String = "1234.5678.abcdef") async throws -> (TestResponse, JSONValue?) {
        let response = try await post("/slack/commands", body: SlackSigner.slashCommandBody(text: text, user: user, triggerID: triggerID))
        return (response, JSONValue.decode(response.body.readableBytesView))
    }

    /// The text of the ephemeral reply to `/query <text>`.
    public func reply(_ text: String, as user: String) async throws -> String {
        let (_, json) = try await command(text, as: user)
        return json?["text"]?.stringValue ?? ""
    }

    /// Submits `query` on pg-main/customer_db as `user` and returns the new request's id.
    public func submit(_ query: String = "SELECT count(*) FROM customers", reason: String = "Ticket 4711", as user: String = People.dev) async throws -> Int {
        let text = try await reply("pg-main/customer_db \(reason) ```\(query)```", as: user)
        guard let range = text.range(of: "*#"), let id = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
            throw HarnessError("submission failed: \(text)")
        }
        return id
    }

    /// A click on a button of request `id`'s approval message.
    public func click(_ actionID: String, request id: Int, as user: String) async throws -> TestResponse {
        let payload: JSONValue = [
            "type": "block_actions", "user": ["id": .string(user)], "trigger_id": "9999.8888.click",
            "channel": ["id": "C0PAYMENTS"], "container": ["type": "message", "channel_id": "C0PAYMENTS"],
            "actions": [["action_id": .string(actionID), "value": .string(String(id)), "type": "button"]],
        ]
        return try await post("/slack/interactions", body: SlackSigner.interactionBody(payload))
    }

    /// A modal submission with the given `callback_id`, state values and private metadata.
    public func submitView(_ callbackID: String, values: JSONValue, metadata: JSONValue = [:], as user: String) async throws -> JSONValue? {
        let payload: JSONValue = [
            "type": "view_submission", "user": ["id": .string(user)], "trigger_id": "7777.6666.view",
            "view": ["id": "V0VIEW0001", "callback_id": .string(callbackID), "state": ["values": values],
                     "private_metadata": .string(String(decoding: metadata.encoded(), as: UTF8.self))],
        ]
        let response = try await post("/slack/interactions", body: SlackSigner.interactionBody(payload))
        return JSONValue.decode(response.body.readableBytesView)
    }

    /// Delivers everything the outbox holds, as the worker would, until nothing is due.
    public func deliverOutbox(settings: SlackOutboxWorker.Settings = .fast) async throws {
        let worker = SlackOutboxWorker(outbox: store, slack: slack, settings: settings, logger: Self.quietLogger)
        for _ in 0..<200 {
            try await worker.deliverDue()
            let counts = try await store.outboxCounts()
            if counts.pending == 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("the outbox did not drain: \(try await store.outboxCounts())")
    }

    public func status(of id: Int) async throws -> RequestStatus? {
        try await store.requestDetails(id: id)?.status
    }
}

extension SlackOutboxWorker.Settings {
    /// Milliseconds instead of seconds, so that retries happen within a test.
    public static var fast: Self {
        var settings = Self()
        settings.pollInterval = .milliseconds(10)
        settings.backoffBase = .milliseconds(10)
        settings.maximumBackoff = .milliseconds(50)
        return settings
    }
}

public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
