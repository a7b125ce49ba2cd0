import Foundation
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import Testing

/// The executor's queue, once on PostgreSQL (`PortalStore`, requests submitted and approved through the Slack routes)
/// and once on the in-memory twin (`MemoryExecutionQueue`), with the same assertions: the twin that the executor's
/// tests use must answer as the real queue does.
@Suite("The execution queue: one contract, two implementations")
struct ExecutionQueueContractTests {
    /// A queue and what a story does around it: approve a new request, let a lease lapse, deliver the approval
    /// message's queued updates (as the outbox worker would), read a request's status.
    struct Subject: Sendable {
        let queue: any ExecutionQueue
        let approveNew: @Sendable () async throws -> Int
        let expireLease: @Sendable (Int) async throws -> Void
        let deliverUpdates: @Sendable (Int) async throws -> Void
        let status: @Sendable (Int) async throws -> RequestStatus?
    }

    enum Implementation: String, CaseIterable, CustomTestStringConvertible {
        case postgres, memory
        var testDescription: String { rawValue }
    }

    static func withSubject(_ implementation: Implementation, _ body: @escaping @Sendable (Subject) async throws -> Void) async throws {
        switch implementation {
        case .postgres:
            try await AppHarness.run { slack in
                let store = slack.store
                try await body(Subject(
                    queue: store,
                    approveNew: {
                        let text = try await slack.reply("pg-main/customer_db checking ```SELECT 1```", as: AppHarness.People.dev)
                        guard let range = text.range(of: "*#"), let id = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
                            throw HarnessError("submission failed: \(text)")
                        }
                        _ = try await slack.click("request.approve", request: id, as: AppHarness.People.maria)
                        return id
                    },
                    expireLease: { id in
                        try await store.client.query(
                            "UPDATE query_requests SET lease_expires_at = now() - interval '1 second' WHERE id = \(id)", logger: AppHarness.quietLogger)
                    },
                    deliverUpdates: { id in
                        try await store.client.query(
                            "UPDATE slack_notifications SET status = 'sent' WHERE request_id = \(id) AND notification_type = 'approval_update' AND status = 'pending'",
                            logger: AppHarness.quietLogger)
                    },
                    status: { id in try await store.requestDetails(id: id)?.status }))
            }
        case .memory:
            let queue = MemoryExecutionQueue()
            let next = Counter()
            try await body(Subject(
                queue: queue,
                approveNew: {
                    let id = await next.increment()
                    await queue.approve(.sample(id))
                    return id
                },
                expireLease: { id in await queue.expireLease(of: id) },
                deliverUpdates: { id in await queue.deliverUpdates(of: id) },
                status: { id in await queue.status(of: id) }))
        }
    }

    @Test(arguments: Implementation.allCases)
    func theOldestApprovedRequestIsClaimedFirstAndEachOnlyOnce(_ implementation: Implementation) async throws {
        try await Self.withSubject(implementation) { subject in
            let first = try await subject.approveNew()
            let second = try await subject.approveNew()
            #expect(try await subject.queue.claimApproved(executorID: "a", lease: .seconds(30))?.id == first)
            #expect(try await subject.queue.claimApproved(executorID: "b", lease: .seconds(30))?.id == second)
            #expect(try await subject.queue.claimApproved(executorID: "c", lease: .seconds(30)) == nil)
            #expect(try await subject.status(first) == .executing)
        }
    }

    @Test(arguments: Implementation.allCases)
    func onlyTheHolderRenewsOrRecordsAndOnlyOnce(_ implementation: Implementation) async throws {
        try await Self.withSubject(implementation) { subject in
            let id = try await subject.approveNew()
            let claimed = try #require(try await subject.queue.claimApproved(executorID: "a", lease: .seconds(30)))
            #expect(claimed.queryText == "SELECT 1" || implementation == .memory)
            #expect(try await subject.queue.renewLease(requestID: id, executorID: "b", lease: .seconds(30)) == false)
            #expect(try await subject.queue.recordOutcome(requestID: id, executorID: "b", outcome: .failed(ExecutionFailure(message: "not mine")), exports: [:]) == false)
            #expect(try await subject.status(id) == .executing)

            #expect(try await subject.queue.renewLease(requestID: id, executorID: "a", lease: .seconds(30)))
            let result = ExecutionResult(statements: [], preview: nil, notices: [], milliseconds: 1, exportBytes: nil)
            #expect(try await subject.queue.recordOutcome(requestID: id, executorID: "a", outcome: .completed(result), exports: [:]))
            #expect(try await subject.status(id) == .completed)
            #expect(try await subject.queue.recordOutcome(requestID: id, executorID: "a", outcome: .completed(result), exports: [:]) == false)
            #expect(try await subject.queue.renewLease(requestID: id, executorID: "a", lease: .seconds(30)) == false)
        }
    }

    @Test(arguments: Implementation.allCases)
    func aLapsedLeaseIsDeclaredInterruptedOnceAndNothingIsRecordedOverIt(_ implementation: Implementation) async throws {
        try await Self.withSubject(implementation) { subject in
            let id = try await subject.approveNew()
            let held = try await subject.approveNew()
            _ = try #require(try await subject.queue.claimApproved(executorID: "a", lease: .seconds(30)))
            _ = try #require(try await subject.queue.claimApproved(executorID: "b", lease: .seconds(30)))
            #expect(try await subject.queue.failInterruptedRequests() == [])

            try await subject.expireLease(id)
            #expect(try await subject.queue.failInterruptedRequests() == [id])
            #expect(try await subject.queue.failInterruptedRequests() == [])
            #expect(try await subject.status(id) == .failed)
            #expect(try await subject.status(held) == .executing)
            #expect(try await subject.queue.renewLease(requestID: id, executorID: "a", lease: .seconds(30)) == false)
            let result = ExecutionResult(statements: [], preview: nil, notices: [], milliseconds: 1, exportBytes: nil)
            #expect(try await subject.queue.recordOutcome(requestID: id, executorID: "a", outcome: .completed(result), exports: [:]) == false)
            #expect(try await subject.status(id) == .failed)
            #expect(try await subject.queue.claimApproved(executorID: "c", lease: .seconds(30)) == nil)
        }
    }

    @Test(arguments: Implementation.allCases)
    func progressUpdatesWaitForTheOneBeforeToBeDelivered(_ implementation: Implementation) async throws {
        try await Self.withSubject(implementation) { subject in
            let id = try await subject.approveNew()
            #expect(try await subject.queue.enqueueProgressUpdate(requestID: id) == false, "a request that is not running has no progress")
            _ = try #require(try await subject.queue.claimApproved(executorID: "a", lease: .seconds(30)))
            // The claim itself queued an update ("running"): until it is delivered, progress waits.
            #expect(try await subject.queue.enqueueProgressUpdate(requestID: id) == false)
            try await subject.deliverUpdates(id)
            #expect(try await subject.queue.enqueueProgressUpdate(requestID: id))
            #expect(try await subject.queue.enqueueProgressUpdate(requestID: id) == false)
            try await subject.deliverUpdates(id)
            #expect(try await subject.queue.enqueueProgressUpdate(requestID: id))
        }
    }

    /// The watch says "look" once when it starts, and again after an approval.
    @Test(arguments: Implementation.allCases)
    func anApprovalIsAnnouncedToWatchers(_ implementation: Implementation) async throws {
        try await Self.withSubject(implementation) { subject in
            let words = Counter()
            let watching = Task {
                for await _ in subject.queue.approvals(retryDelay: .seconds(1)) { _ = await words.increment() }
            }
            defer { watching.cancel() }
            #expect(await eventually { await words.value >= 1 }, "no word when the watch started")
            let before = await words.value
            _ = try await subject.approveNew()
            #expect(await eventually { await words.value > before }, "no word of the approval")
        }
    }
}

/// Hands out 1, 2, 3…
actor Counter {
    private(set) var value = 0
    func increment() -> Int {
        value += 1
        return value
    }
}
