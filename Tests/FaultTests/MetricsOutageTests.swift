import Foundation
import Hummingbird
import HummingbirdTesting
import PortalStore
import QueryGateTestSupport
import Testing
@testable import QueryGateServer

/// A scrape while the portal database is away answers 503 within the API's budget, instead of waiting for it.
@Suite("Metrics during an outage")
struct MetricsOutageTests {
    @Test(.timeLimit(.minutes(2)))
    func aScrapeDuringAnOutageAnswers503InTime() async throws {
        try await PrivateCluster.run { cluster in
            let token = String(repeating: "t", count: 32)
            let metrics = PortalMetrics(store: cluster.store, token: token, deadline: .init(time: .seconds(2), grace: .milliseconds(500)))
            let router = Router()
            metrics.register(on: router)
            try await Application(router: router).test(.router) { client in
                let before = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"])
                #expect(before.status == .ok)
                try await cluster.stop()
                let started = ContinuousClock.now
                let during = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"])
                let took = started.duration(to: .now)
                #expect(during.status == .serviceUnavailable)
                #expect(during.headers[.retryAfter] == "30")
                #expect(took < .seconds(4), "the scrape took \(took)")
                print("fault timing: a /metrics scrape during the outage answered in \(took)")
                try await cluster.start()
            }
        }
    }
}
