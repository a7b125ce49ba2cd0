import Foundation
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// A submission queues its approval message without NOTIFY (migration 015), and wakes the outbox worker of its own
/// process instead.
@Suite("A submission's wake-up")
struct SubmissionWakeUpTests {
    /// The worker polls once an hour: only the submission's own wake-up can explain a message sent at once.
    @Test(.timeLimit(.minutes(1)))
    func aSubmissionWakesThisProcesssOutboxWorker() async throws {
        try await AppHarness.run { slack in
            var settings = SlackOutboxWorker.Settings.fast
            settings.pollInterval = .seconds(3600)
            let worker = SlackOutboxWorker(outbox: slack.store, slack: slack.slack, settings: settings, logger: AppHarness.quietLogger)
            let running = Task { try await worker.run() }
            defer { running.cancel() }
            // Let the worker look once (nothing is due) and go to sleep.
            try await Task.sleep(for: .milliseconds(300))

            let id = try await slack.submit("SELECT 1")
            var delivered: [String] = []
            for _ in 0..<200 where delivered.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                delivered = await OutboxTests.deliveredRequests(slack)
            }
            #expect(delivered == [String(id)])
        }
    }

    /// Notifications arrive in commit order: had the submission notified, its NOTIFY would come before the marker
    /// sent after it commits.
    @Test(.timeLimit(.minutes(1)))
    func aSubmissionSendsNoNotify() async throws {
        try await AppHarness.run { slack in
            let store = slack.store
            let heard = try await store.client.withConnection { connection in
                try await connection.listen(on: PortalStore.outboxChannel) { notifications in
                    _ = try await slack.submit("SELECT 1")
                    try await store.client.query("SELECT pg_notify(\(PortalStore.outboxChannel), 'marker')", logger: AppHarness.quietLogger)
                    for try await notification in notifications { return notification.payload }
                    return "the LISTEN ended"
                }
            }
            #expect(heard == "marker")
        }
    }
}
