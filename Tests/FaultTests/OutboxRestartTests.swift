import Foundation
import Logging
import NIOCore
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import ServiceLifecycle
import SlackGateway
import Synchronization
import Testing

/// The portal database restarts while the outbox worker is inside a Slack call: the worker records the delivery
/// once the database is back, goes on delivering, sends nothing twice, and still stops on a graceful shutdown.
@Suite("The outbox across a portal-database restart")
struct OutboxRestartTests {
    @Test(.timeLimit(.minutes(2)))
    func aRestartDuringACallDeliversOnceAndTheWorkerStillStops() async throws {
        try await PrivateCluster.run { cluster in
            try await Organisation.seed(cluster.store)
            let dev = try #require(try await cluster.store.user(slackUserID: Organisation.SlackIDs.dev))
            let request = try NewRequest(target: "pg-main/customer_db", queryText: "SELECT 1", reason: "restart ticket", submissionType: .query)
            _ = try await cluster.store.submit(request, by: dev, via: .slack)

            try await FakeSlack.run { fake in
                let slack = HeldSlack(HTTPSlackWebAPI(baseURL: fake.apiURL, token: FakeSlack.botToken, logger: AppHarness.quietLogger))
                var settings = SlackOutboxWorker.Settings.fast
                settings.lease = .seconds(6)
                let worker = SlackOutboxWorker(outbox: cluster.store, slack: slack, settings: settings, logger: AppHarness.quietLogger)
                let group = ServiceGroup(configuration: .init(services: [.init(service: worker)], gracefulShutdownSignals: [],
                                                              logger: AppHarness.quietLogger))
                let running = Task { try await group.run() }

                // The worker is in the middle of chat.postMessage: restart the portal database, then let Slack answer.
                await slack.waitUntilHeld()
                try await cluster.stop()
                try await cluster.start()
                await slack.release()

                try await Self.waitFor(sent: 1, in: cluster.store)
                #expect(await fake.recorder.successful("chat.postMessage").count == 1)

                // It goes on: a request queued after the restart is delivered too, woken by its NOTIFY.
                _ = try await cluster.store.submit(request, by: dev, via: .slack)
                try await Self.waitFor(sent: 2, in: cluster.store)
                #expect(await fake.recorder.successful("chat.postMessage").count == 2)
                #expect(try await cluster.store.outboxCounts() == (0, 2, 0))

                let stopping = ContinuousClock.now
                await group.triggerGracefulShutdown()
                try await running.value
                let took = stopping.duration(to: .now)
                #expect(took < .seconds(5), "the worker took \(took) to stop")
                print("fault timing: the outbox worker stopped \(took) after a graceful shutdown began")
            }
        }
    }

    static func waitFor(sent: Int, in store: PortalStore) async throws {
        for _ in 0..<300 {
            if (try? await store.outboxCounts().sent) == sent { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("the outbox did not deliver \(sent): \(try await store.outboxCounts())")
    }
}

/// A Slack that holds the first `chat.postMessage` until the test releases it, as a slow Slack would.
final class HeldSlack: SlackWebAPI, Sendable {
    let wrapped: any SlackWebAPI
    private let held = AsyncStream.makeStream(of: Void.self)
    private let released = AsyncStream.makeStream(of: Void.self)
    private let first = Mutex(true)

    init(_ wrapped: any SlackWebAPI) { self.wrapped = wrapped }

    func call(_ method: String, _ arguments: JSONValue) async -> SlackCallResult {
        let isFirst = method == "chat.postMessage" && first.withLock { isFirst in
            defer { isFirst = false }
            return isFirst
        }
        if isFirst {
            held.continuation.yield()
            for await _ in released.stream { break }
        }
        return await wrapped.call(method, arguments)
    }

    func call(_ method: String, form: [String: String]) async -> SlackCallResult { await wrapped.call(method, form: form) }

    func upload(to url: String, length: Int, next: @escaping @Sendable () async throws -> ByteBuffer?) async -> SlackCallResult {
        await wrapped.upload(to: url, length: length, next: next)
    }

    func waitUntilHeld() async { for await _ in held.stream { break } }
    func release() async { released.continuation.yield() }
}
