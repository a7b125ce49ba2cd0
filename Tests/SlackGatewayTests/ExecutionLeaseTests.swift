import Foundation
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import Testing

/// A running request whose lease is lost (another replica declared it interrupted) stops: its statement is
/// cancelled on the target and no outcome of it is recorded over the interruption.
@Suite("Losing a running request's lease")
struct ExecutionLeaseTests {
    @Test(.timeLimit(.minutes(1)))
    func aLostLeaseCancelsTheStatementOnTheTargetAndRecordsNothing() async throws {
        try await ExecutionTests.run { slack, target in
            let id = try await ExecutionTests.submitAndApprove(slack, target, "SELECT pg_sleep(30)")
            let executor = ExecutionTests.executor(slack, target, lease: .seconds(3))
            let running = Task { try await executor.runNext() }
            for _ in 0..<200 where try await Self.sleepingBackends(on: target) == 0 {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await Self.sleepingBackends(on: target) == 1)

            // Another replica's sweep finds the lease expired and declares the request interrupted. The executor
            // renews its lease every second: a renewal that lands between the expiry and the sweep makes the lease
            // valid again (rightly), so expire and sweep until the sweep is first.
            var interrupted: [Int] = []
            for _ in 0..<20 where interrupted.isEmpty {
                try await slack.store.client.query(
                    "UPDATE query_requests SET lease_expires_at = now() - interval '1 second' WHERE id = \(id)", logger: AppHarness.quietLogger)
                interrupted = try await slack.store.failInterruptedRequests()
            }
            #expect(interrupted == [id])
            let declared = ContinuousClock.now

            #expect(try await running.value == id)
            let stopped = declared.duration(to: .now)
            #expect(stopped < .seconds(5), "the run went on \(stopped) after its lease was lost")
            print("fault timing: a run stopped \(stopped) after its lease was lost")
            #expect(try await Self.sleepingBackends(on: target) == 0)
            let request = try #require(try await slack.store.requestDetails(id: id))
            #expect(request.status == .failed)
            #expect(request.outcome == .failed(.interrupted))
            #expect(try await slack.store.recentAuditEntries(limit: 10).map(\.action).contains("request.completed") == false)
        }
    }

    /// Backends on the target still running the request's `pg_sleep`.
    static func sleepingBackends(on target: TestDatabase) async throws -> Int {
        try await target.client.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
            logger: AppHarness.quietLogger
        ).decode(Int.self).first { _ in true } ?? -1
    }
}
