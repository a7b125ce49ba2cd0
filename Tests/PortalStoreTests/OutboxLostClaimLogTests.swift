import Foundation
import Logging
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import Testing

/// What the log tells an operator when a worker records a delivery after its claim lapsed: not that the message
/// failed for good, since the worker that holds it now may still deliver it (the records themselves are
/// `NotificationOutboxContractTests`'). The twin writes no logs, so this runs on PostgreSQL alone.
@Suite("The outbox's log of a lost claim")
struct OutboxLostClaimLogTests {
    @Test func aLateFailureIsLoggedAsALostClaimAndARealOneAsFailedForGood() async throws {
        try await TestDatabase.withMigrated { database in
            let logs = CapturedLogs()
            let store = PortalStore(client: database.client, logger: logs.logger)
            try await database.client.query(
                """
                INSERT INTO slack_notifications (notification_type, recipient, channel_id, payload)
                VALUES ('ephemeral', 'U0DEV0001', 'C0PAYMENTS', '{"text": "one"}'::jsonb)
                """)
            let stale = try #require(try await store.claimNextNotification(workerID: "worker-a", lease: .milliseconds(300)))
            try await Task.sleep(for: .milliseconds(600))
            let current = try #require(try await store.claimNextNotification(workerID: "worker-b", lease: .seconds(30)))

            try await store.recordDelivery(.failed(error: "channel_not_found"), of: stale, workerID: "worker-a", maxAttempts: 12)
            try await store.recordDelivery(.retry(after: .zero, error: "timeout"), of: stale, workerID: "worker-a", maxAttempts: 1)
            #expect(logs.all.filter { $0.message.contains("failed for good") }.isEmpty, "\(logs.all)")
            let lost = logs.all.filter { $0.message.contains("claim lapsed") }
            #expect(lost.map(\.level) == [.notice, .notice])
            #expect(lost.map { $0.metadata["notification"] } == [String(stale.id), String(stale.id)])
            #expect(lost.map { $0.metadata["outcome"] } == ["failed", "failed"])

            try await store.recordDelivery(.failed(error: "channel_not_found"), of: current, workerID: "worker-b", maxAttempts: 12)
            let failed = logs.all.filter { $0.message == "Slack notification failed for good" }
            #expect(failed.map(\.level) == [.error])
            #expect(failed.first?.metadata["error"] == "channel_not_found")
            #expect(try await store.outboxCounts().failed == 1)
        }
    }
}
