import Foundation
import PortalStore
import PostgresNIO
import QueryGateTestSupport
import SlackGateway
import Testing

/// The portal database is up but too slow (a lock held by someone else): the submission is given up at the
/// deadline, the answer says nothing was recorded, and nothing is recorded when the lock goes away.
@Suite("A slow portal database")
struct SlowPortalTests {
    @Test(.timeLimit(.minutes(1)))
    func aSubmissionStuckBehindALockIsRolledBackAndSaysSo() async throws {
        try await AppHarness.run(deadline: .slack) { slack in
            let (locked, release) = AsyncStream.makeStream(of: Void.self)
            let (releasing, done) = AsyncStream.makeStream(of: Void.self)
            // Another session holds the requests table for 5 s: every INSERT into it waits.
            let holder = Task {
                try await slack.store.client.withTransaction(logger: AppHarness.quietLogger) { connection in
                    try await connection.query("LOCK TABLE query_requests IN ACCESS EXCLUSIVE MODE", logger: AppHarness.quietLogger)
                    release.yield()
                    for await _ in releasing { break }
                }
            }
            for await _ in locked { break }

            let started = ContinuousClock.now
            let answer = try await slack.reply("pg-main/customer_db slow ticket ```SELECT 1```", as: AppHarness.People.dev)
            let took = started.duration(to: .now)
            #expect(answer.contains("nothing was recorded"), "\(answer)")
            #expect(took < .seconds(3), "the answer took \(took)")
            print("fault timing: a submission behind a lock answered in \(took)")

            done.yield()
            try await holder.value
            try await Task.sleep(for: .seconds(1))
            let count = try await slack.store.client.query("SELECT count(*) FROM query_requests", logger: AppHarness.quietLogger)
                .decode(Int.self).first { _ in true }
            #expect(count == 0)
        }
    }

    /// A click whose request row another session holds: the decision's one statement gives up at the deadline
    /// (its lock wait ends then), Slack is answered 503 in time, and the request is still pending once the lock goes.
    @Test(.timeLimit(.minutes(1)))
    func aClickStuckBehindALockedRequestIsGivenUpAndChangesNothing() async throws {
        try await AppHarness.run(deadline: .slack) { slack in
            let id = try await slack.submit()
            let (locked, release) = AsyncStream.makeStream(of: Void.self)
            let (releasing, done) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await slack.store.client.withTransaction(logger: AppHarness.quietLogger) { connection in
                    try await connection.query("SELECT 1 FROM query_requests WHERE id = \(id) FOR UPDATE", logger: AppHarness.quietLogger)
                    release.yield()
                    for await _ in releasing { break }
                }
            }
            for await _ in locked { break }

            let started = ContinuousClock.now
            let response = try await slack.click("request.approve", request: id, as: AppHarness.People.maria)
            let took = started.duration(to: .now)
            #expect(response.status == .serviceUnavailable)
            #expect(took < .seconds(3), "the answer took \(took)")
            print("fault timing: a click behind a locked request answered in \(took)")

            done.yield()
            try await holder.value
            try await Task.sleep(for: .seconds(1))
            #expect(try await slack.status(of: id) == .pending)
            #expect(try await Rows.count("request_approvals", in: slack.database) == 0)
            #expect(try await Rows.count("audit_logs WHERE action = 'request.approved'", in: slack.database) == 0)
        }
    }
}
