import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PortalStore
import PostgresNIO
import QueryGateServer
import QueryGateTestSupport
import SlackGateway
import Testing

@Suite("Health endpoints")
struct HealthRoutesTests {
    @Test func healthAndReadinessAnswerWhenThePortalDatabaseDoes() async throws {
        try await TestDatabase.withMigrated { database in
            let app = Application(router: QueryGateApp.router(store: database.store, slack: SlackRoutes(verifier: nil, store: database.store, slack: NoSlack(), logger: database.server.logger)))
            try await app.test(.router) { client in
                let health = try await client.execute(uri: "/healthz", method: .get)
                #expect(health.status == .ok)
                #expect(String(buffer: health.body) == #"{"status":"ok"}"#)
                let ready = try await client.execute(uri: "/readyz", method: .get)
                #expect(ready.status == .ok)
                #expect(String(buffer: ready.body) == #"{"status":"ready"}"#)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func readinessFailsQuicklyWhenThePortalDatabaseIsUnreachable() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        // A port nothing listens on: the server's own port, released.
        let configuration = PostgresClient.Configuration(
            host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: "none", tls: .disable)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let store = PortalStore(client: client, logger: logger)
            let app = Application(router: QueryGateApp.router(store: store, slack: SlackRoutes(verifier: nil, store: store, slack: NoSlack(), logger: logger)))
            try await app.test(.router) { client in
                let started = ContinuousClock.now
                let ready = try await client.execute(uri: "/readyz", method: .get)
                #expect(ready.status == .serviceUnavailable)
                #expect(String(buffer: ready.body).contains("the portal database does not answer"))
                #expect(started.duration(to: .now) < .seconds(10))
                let health = try await client.execute(uri: "/healthz", method: .get)
                #expect(health.status == .ok)
            }
            group.cancelAll()
        }
    }
}
