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
public struct AppHarness: SignedSlackRequests {
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
