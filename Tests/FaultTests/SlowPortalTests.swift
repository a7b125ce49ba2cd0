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
    /// One submission, then six at once, behind a lock on the requests table. Of the six, one is sent and waits; the
    /// others queue behind it (`SubmissionBatcher`) until its patience runs out, then go together and wait too. Each
    /// is answered in time that nothing was recorded, and none is recorded once the lock goes: every statement gave
    /// up its lock wait at the soonest deadline among its submissions, and refused to commit past it.
    @Test(.timeLimit(.minutes(1)), arguments: [1, 6])
    func submissionsStuckBehindALockAreRolledBackAndSaySo(count: Int) async throws {
        try await AppHarness.run(deadline: .slack) { slack in
            let lock = try await HeldLock.take("LOCK TABLE query_requests IN ACCESS EXCLUSIVE MODE", on: slack.store.client)

            let started = ContinuousClock.now
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for ticket in 1...count {
                    group.addTask { try await slack.reply("pg-main/customer_db slow ticket \(ticket) ```SELECT 1```", as: AppHarness.People.dev) }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            let took = started.duration(to: .now)
            #expect(answers.count == count)
            for answer in answers { #expect(answer.contains("nothing was recorded"), "\(answer)") }
            #expect(took < .seconds(3), "the answers took \(took)")
            print("fault timing: \(count) submission(s) behind a lock answered in \(took)")

            try await lock.release()
            try await Task.sleep(for: .seconds(1))
            let recorded = try await slack.store.client.query("SELECT count(*) FROM query_requests", logger: AppHarness.quietLogger)
                .decode(Int.self).first { _ in true }
            #expect(recorded == 0)
        }
    }

    /// A click whose request row another session holds: the decision's one statement gives up at the deadline
    /// (its lock wait ends then), Slack is answered 503 in time, and the request is still pending once the lock goes.
    @Test(.timeLimit(.minutes(1)))
    func aClickStuckBehindALockedRequestIsGivenUpAndChangesNothing() async throws {
        try await AppHarness.run(deadline: .slack) { slack in
            let id = try await slack.submit()
            let lock = try await HeldLock.take("SELECT 1 FROM query_requests WHERE id = \(id) FOR UPDATE", on: slack.store.client)

            let started = ContinuousClock.now
            let response = try await slack.click("request.approve", request: id, as: AppHarness.People.maria)
            let took = started.duration(to: .now)
            #expect(response.status == .serviceUnavailable)
            #expect(took < .seconds(3), "the answer took \(took)")
            print("fault timing: a click behind a locked request answered in \(took)")

            try await lock.release()
            try await Task.sleep(for: .seconds(1))
            #expect(try await slack.status(of: id) == .pending)
            #expect(try await Rows.count("request_approvals", in: slack.database) == 0)
            #expect(try await Rows.count("audit_logs WHERE action = 'request.approved'", in: slack.database) == 0)
        }
    }
}
