import Foundation
import QueryGateCore

/// What the executor needs of the portal database: approved requests to claim, the lease it holds while one runs,
/// the outcome to record, the sweep of requests whose worker vanished, and word that a request was approved.
///
/// `PortalStore` is the implementation on PostgreSQL: a claim takes `FOR UPDATE SKIP LOCKED`, word of an approval is
/// LISTEN/NOTIFY on `executorChannel`, and its tests against the real server cover replicas racing for one request,
/// a lost lease and the sweep. The tests' `MemoryExecutionQueue` is a twin in memory, held to the same contract by
/// `ExecutionQueueContractTests`, so that tests of the executor's own rules (a lost lease cancels the run, an outcome
/// is recorded once and survives a shutdown, an approval wakes a waiting executor) need no database.
public protocol ExecutionQueue: Sendable {
    /// Yields when a request may have been approved, and once each time the watch (re)starts, so that an approval
    /// made while nobody watched does not wait for the next poll. Ends when the task iterating it is cancelled.
    /// Wake-ups are hints, coalesced: a waker must still claim to learn whether there is work.
    func approvals(retryDelay: Duration) -> AsyncStream<Void>

    /// Claims the oldest approved request for `executorID` with a lease of `lease`, or returns nil when none waits.
    /// Of executors claiming at once, exactly one gets a given request.
    func claimApproved(executorID: String, lease: Duration) async throws -> PortalStore.ClaimedRequest?

    /// Extends the lease of a request `executorID` runs; false when it no longer holds it.
    func renewLease(requestID: Int, executorID: String, lease: Duration) async throws -> Bool

    /// Queues an update of a running request's approval message (how long it has run), unless one is still
    /// undelivered; returns whether one was queued.
    @discardableResult
    func enqueueProgressUpdate(requestID: Int) async throws -> Bool

    /// Records how the request ended (and the exports to upload) while `executorID` still holds it; false, and
    /// nothing recorded, when it does not (it was declared interrupted).
    @discardableResult
    func recordOutcome(requestID: Int, executorID: String, outcome: ExecutionOutcome, exports: [ExportFormat: URL]) async throws -> Bool

    /// Declares failed, as interrupted, every running request whose lease has lapsed; returns their ids. Such a
    /// request may or may not have been applied, so it is never run again.
    @discardableResult
    func failInterruptedRequests() async throws -> [Int]
}

extension PortalStore: ExecutionQueue {
    public func approvals(retryDelay: Duration) -> AsyncStream<Void> {
        wakeUps(on: Self.executorChannel, retryDelay: retryDelay)
    }
}
