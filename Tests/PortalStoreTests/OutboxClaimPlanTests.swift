import Foundation
import PostgresNIO
@testable import PortalStore
import QueryGateTestSupport
import Testing

/// The outbox's claim with thousands of notifications waiting, as Slack's rate limit leaves them after a burst
/// into one channel. Its ordering rules are `NotificationOutboxContractTests`'; this holds the work one claim does
/// to a bounded multiple of the rows waiting, counted in the plan PostgreSQL runs (not timed): the claim's check
/// that no older update of the same message waits once read every waiting row again for each candidate it looked
/// at, which grows with the square of the backlog (234 ms a claim with 50,000 waiting).
@Suite("The outbox's claim with thousands waiting")
struct OutboxClaimPlanTests {
    @Test("One claim reads each waiting row a few times at most, not once per candidate, and takes the oldest due")
    func oneClaimsWorkGrowsWithTheBacklogNotItsSquare() async throws {
        let messages = 3_000, updates = 100
        try await TestDatabase.withMigrated { database in
            // 3,000 messages waiting, and, older still, updates of the last 100 of them, which must wait for
            // their message: the claim looks past those to the oldest message. No ANALYZE: as on a busy server
            // between autovacuum's visits, the planner has no statistics for the rows just written.
            try await database.client.query(
                """
                INSERT INTO slack_notifications (notification_type, recipient, channel_id, payload, next_attempt_at)
                SELECT 'ephemeral', 'U0DEV0001', 'C0PAYMENTS', '{"text": "hello"}'::jsonb, now() - interval '1 hour' + g * interval '1 ms'
                FROM generate_series(1, \(messages)) AS g
                """)
            try await database.client.query(
                """
                INSERT INTO slack_notifications (notification_type, recipient, parent_id, payload, next_attempt_at)
                SELECT 'approval_update', 'C0PAYMENTS', id, '{}'::jsonb, now() - interval '2 hours'
                FROM slack_notifications ORDER BY id DESC LIMIT \(updates)
                """)
            let oldest = try #require(try await database.client.query(
                "SELECT min(id) FROM slack_notifications WHERE notification_type = 'ephemeral'").decode(Int.self).first { _ in true })

            let plan = try #require(try await database.client.query(
                PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, FORMAT JSON) " + PortalStore.nextDueNotificationSQL)
            ).decode(String.self).first { _ in true })
            let rowsRead = try Self.rowsRead(byPlan: plan)
            // Whether the planner walks the due index in order (a few hundred rows: the updates, their checks, the
            // oldest message) or reads every waiting row and sorts (about three times 3,100, here), the work is
            // linear; the old check read all 3,100 again for each of the 101 candidates, some 313,000.
            #expect(rowsRead < 10 * (messages + updates), "the claim read \(rowsRead) rows: \(plan)")

            let store = PortalStore(client: database.client, logger: .init(label: "test"))
            let claimed = try #require(try await store.claimNextNotification(workerID: "w", lease: .seconds(30)))
            #expect(claimed.id == oldest && claimed.type == .ephemeral)
        }
    }

    /// Rows every node of an `EXPLAIN (ANALYZE, FORMAT JSON)` produced or filtered out, over all its loops.
    static func rowsRead(byPlan json: String) throws -> Int {
        let document = try JSONSerialization.jsonObject(with: Data(json.utf8))
        guard let top = (document as? [[String: Any]])?.first?["Plan"] as? [String: Any] else {
            throw HarnessError("not an EXPLAIN (FORMAT JSON) document: \(json)")
        }
        func total(_ node: [String: Any]) -> Int {
            let loops = node["Actual Loops"] as? Int ?? 1
            let produced = node["Actual Rows"] as? Int ?? 0
            let removed = ["Rows Removed by Filter", "Rows Removed by Join Filter", "Rows Removed by Index Recheck"]
                .reduce(0) { $0 + (node[$1] as? Int ?? 0) }
            let children = (node["Plans"] as? [[String: Any]] ?? []).reduce(0) { $0 + total($1) }
            return (produced + removed) * loops + children
        }
        return total(top)
    }
}
