import Foundation
import Logging
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import RequestExecution
import Testing

/// The expiry worker's own rules, on the sweeps' twin in memory (`MemoryRequestRepository`, held to PostgreSQL by
/// `ExpirySweepContractTests`): it sweeps every turn, and a sweep that fails or hangs (the portal database is away
/// or stuck) costs one turn, never the worker. The messages an expiry sends are `ExpiryTests`', on PostgreSQL.
@Suite("The expiry worker, on sweeps in memory")
struct RequestExpiryTests {
    /// The twin's sweeps, behind a portal database that is away for the first `failing` sweeps and then, for the
    /// next `hanging`, answers nothing at all.
    actor Troubled: ExpirySweeps {
        let twin: MemoryRequestRepository
        var failing: Int
        var hanging: Int
        private(set) var calls = 0

        init(_ twin: MemoryRequestRepository, failing: Int = 0, hanging: Int = 0) {
            self.twin = twin
            self.failing = failing
            self.hanging = hanging
        }

        struct Away: Error {}

        private func trouble() async throws {
            calls += 1
            if failing > 0 {
                failing -= 1
                throw Away()
            }
            if hanging > 0 {
                hanging -= 1
                try await Task.sleep(for: .seconds(600))
            }
        }

        func remindWaitingRequests(defaultTTL: Duration?, percent: Int, limit: Int) async throws -> [Int] {
            try await trouble()
            return try await twin.remindWaitingRequests(defaultTTL: defaultTTL, percent: percent, limit: limit)
        }

        func expireOverdueRequests(defaultTTL: Duration?, limit: Int) async throws -> [Int] {
            try await trouble()
            return try await twin.expireOverdueRequests(defaultTTL: defaultTTL, limit: limit)
        }
    }

    /// An overdue request and a halfway one, on the twin.
    static func twinWithDueRequests() async throws -> (MemoryRequestRepository, overdue: Int, halfway: Int) {
        let twin = MemoryRequestRepository()
        try await Organisation.seed(twin)
        let dev = try #require(try await twin.user(slackUserID: Organisation.SlackIDs.dev))
        var ids: [Int] = []
        for query in ["SELECT 1", "SELECT 2"] {
            let request = try NewRequest(target: Organisation.target, queryText: query, reason: "Ticket 4711")
            ids.append(try await twin.submit(request, by: dev, via: .slack).id)
        }
        await twin.age(ids[0], by: .seconds(25 * 3600))
        await twin.age(ids[1], by: .seconds(13 * 3600))
        return (twin, ids[0], ids[1])
    }

    static func isExpired(_ id: Int, in twin: MemoryRequestRepository) async -> Bool {
        (try? await twin.requestDetails(id: id))?.status == .expired
    }

    /// Runs the worker until `done` holds (checked every 20 ms, for at most `within`), then stops it.
    static func run(_ sweeps: some ExpirySweeps, logs: CapturedLogs, within: Duration = .seconds(20),
                    until done: @escaping @Sendable () async -> Bool) async throws {
        let worker = RequestExpiry(store: sweeps, defaultTTL: .seconds(86_400), reminderPercent: 50, interval: .milliseconds(20),
                                   portalDeadline: .milliseconds(200), logger: logs.logger)
        let running = Task { try await worker.run() }
        defer { running.cancel() }
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline, !(await done()) { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test(.timeLimit(.minutes(1)))
    func itRemindsAndExpiresWhatIsDueAndNothingElse() async throws {
        let (twin, overdue, halfway) = try await Self.twinWithDueRequests()
        let logs = CapturedLogs()
        let logged: @Sendable () -> Bool = {
            logs.all.contains { $0.message == "requests expired without a decision or a run" && $0.metadata["requests"] == "[\(overdue)]" }
        }
        // Until the worker has said so: it logs after the sweep returns, so the request can be expired a moment before.
        try await Self.run(twin, logs: logs) { logged() }
        #expect(logged())
        #expect(try await twin.requestDetails(id: overdue)?.status == .expired)
        #expect(try await twin.requestDetails(id: halfway)?.status == .pending)
        #expect(await twin.queued == [.reminder(requestID: halfway)], "an overdue request is expired, not reminded")
    }

    @Test(.timeLimit(.minutes(1)))
    func aPortalDatabaseThatIsAwayCostsTurnsNotTheWorker() async throws {
        let (twin, overdue, _) = try await Self.twinWithDueRequests()
        let troubled = Troubled(twin, failing: 3)
        let logs = CapturedLogs()
        try await Self.run(troubled, logs: logs) { await Self.isExpired(overdue, in: twin) }
        #expect(try await twin.requestDetails(id: overdue)?.status == .expired)
        let warnings = logs.all.filter { $0.message == "could not expire overdue requests; trying again" }
        #expect(warnings.count == 3)
        #expect(warnings.allSatisfy { $0.level == .warning })
    }

    @Test(.timeLimit(.minutes(1)))
    func aSweepThatHangsIsGivenUpAtTheDeadlineAndTheNextTurnDoesTheWork() async throws {
        let (twin, overdue, _) = try await Self.twinWithDueRequests()
        let troubled = Troubled(twin, hanging: 1)
        let logs = CapturedLogs()
        try await Self.run(troubled, logs: logs) { await Self.isExpired(overdue, in: twin) }
        #expect(try await twin.requestDetails(id: overdue)?.status == .expired)
        // Had the worker waited for the sweep that hangs (10 minutes), nothing would have expired within `run`'s 20 s.
        let warning = try #require(logs.all.first { $0.message == "could not expire overdue requests; trying again" })
        #expect(warning.metadata["error"] == "reminding approvers did not finish within 0.2 seconds", "\(warning)")
    }
}
