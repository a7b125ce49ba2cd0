import Foundation
import PortalStore
import QueryGateCore

/// `ExecutionQueue` in memory: the executor's side of the portal database without a database, for tests of the
/// executor's own rules. It keeps the PostgreSQL implementation's rules (the oldest approved request is claimed
/// first and by one executor only, a lease renewed or recorded only by its holder, a lapsed lease declared
/// interrupted by the sweep and never claimed again, progress updates coalesced until delivered), and
/// `ExecutionQueueContractTests` runs the same stories on both to keep the two alike.
public actor MemoryExecutionQueue: ExecutionQueue {
    struct Entry {
        let request: PortalStore.ClaimedRequest
        var status: RequestStatus = .approved
        var executorID: String?
        var leaseExpiresAt: ContinuousClock.Instant?
        var outcome: ExecutionOutcome?
        var exports: [ExportFormat: Data] = [:]
        /// Updates of the approval message not yet delivered: the approval queues one, the claim ("running") another.
        var pendingUpdates = 1
        var progressUpdates = 0
        var audit: [AuditAction] = [.requestApproved]
    }

    /// What the twin answers when told the database is away.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "the portal database is away (MemoryExecutionQueue)" }
    }

    private var entries: [Int: Entry] = [:]
    /// Approved requests in the order they were approved, as `approved_at, id` orders them.
    private var approvedOrder: [Int] = []
    /// Held outside the actor, so that a watch is registered before `approvals` returns: an approval made right
    /// after must reach it, as a NOTIFY after the LISTEN does.
    private nonisolated let watchers = Watchers()
    private var failingOutcomeRecords = 0

    public init() {}

    // MARK: - What a test does

    /// Approves `request`: it waits to be claimed, and every watcher of `approvals` is woken.
    public func approve(_ request: PortalStore.ClaimedRequest) {
        entries[request.id] = Entry(request: request)
        approvedOrder.append(request.id)
        watchers.yieldToAll()
    }

    /// Makes the next `count` calls of `recordOutcome` fail as if the database were away.
    public func failOutcomeRecords(_ count: Int) {
        failingOutcomeRecords = count
    }

    /// Lets the lease of a running request lapse, as time passing without renewal would.
    public func expireLease(of id: Int) {
        entries[id]?.leaseExpiresAt = .now - .seconds(1)
    }

    /// Marks the approval message's queued updates delivered, as the outbox worker would.
    public func deliverUpdates(of id: Int) {
        entries[id]?.pendingUpdates = 0
    }

    public func status(of id: Int) -> RequestStatus? { entries[id]?.status }
    public func outcome(of id: Int) -> ExecutionOutcome? { entries[id]?.outcome }
    public func executor(of id: Int) -> String? { entries[id]?.executorID }
    public func exports(of id: Int) -> [ExportFormat: Data] { entries[id]?.exports ?? [:] }
    /// Progress updates queued (each "running for 45 s").
    public func progressUpdates(of id: Int) -> Int { entries[id]?.progressUpdates ?? 0 }
    /// The request's audit actions, oldest first, from its approval on.
    public func audit(of id: Int) -> [AuditAction] { entries[id]?.audit ?? [] }
    public var watcherCount: Int { watchers.count }

    // MARK: - ExecutionQueue

    public nonisolated func approvals(retryDelay: Duration) -> AsyncStream<Void> {
        AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let id = UUID()
            // As the LISTEN does, a new watch says "look" once.
            continuation.yield()
            watchers.add(id, continuation)
            continuation.onTermination = { [watchers] _ in watchers.remove(id) }
        }
    }

    public func claimApproved(executorID: String, lease: Duration) async throws -> PortalStore.ClaimedRequest? {
        guard let id = approvedOrder.first else { return nil }
        approvedOrder.removeFirst()
        entries[id]?.status = .executing
        entries[id]?.executorID = executorID
        entries[id]?.leaseExpiresAt = .now + lease
        entries[id]?.audit.append(.executionStarted)
        entries[id]?.pendingUpdates += 1
        return entries[id]?.request
    }

    public func renewLease(requestID: Int, executorID: String, lease: Duration) async throws -> Bool {
        guard holds(requestID, executorID) else { return false }
        entries[requestID]?.leaseExpiresAt = .now + lease
        return true
    }

    @discardableResult
    public func enqueueProgressUpdate(requestID: Int) async throws -> Bool {
        guard let entry = entries[requestID], entry.status == .executing, entry.pendingUpdates == 0 else { return false }
        entries[requestID]?.pendingUpdates += 1
        entries[requestID]?.progressUpdates += 1
        return true
    }

    @discardableResult
    public func recordOutcome(requestID: Int, executorID: String, outcome: ExecutionOutcome, exports: [ExportFormat: URL]) async throws -> Bool {
        if failingOutcomeRecords > 0 {
            failingOutcomeRecords -= 1
            throw Unavailable()
        }
        guard holds(requestID, executorID) else { return false }
        // Read before anything changes, as the store's transaction would roll back on a missing file.
        let files = try exports.mapValues { try Data(contentsOf: $0) }
        let completed = if case .completed = outcome { true } else { false }
        entries[requestID]?.status = completed ? .completed : .failed
        entries[requestID]?.leaseExpiresAt = nil
        entries[requestID]?.outcome = outcome
        entries[requestID]?.exports = files
        entries[requestID]?.audit.append(completed ? .executionCompleted : .executionFailed)
        return true
    }

    @discardableResult
    public func failInterruptedRequests() async throws -> [Int] {
        let now = ContinuousClock.now
        let lapsed = entries.values
            .filter { $0.status == .executing && ($0.leaseExpiresAt ?? now) < now }
            .map(\.request.id).sorted()
        for id in lapsed {
            entries[id]?.status = .failed
            entries[id]?.outcome = .failed(.interrupted)
            entries[id]?.audit.append(.executionInterrupted)
        }
        return lapsed
    }

    // MARK: -

    private func holds(_ id: Int, _ executorID: String) -> Bool {
        entries[id]?.status == .executing && entries[id]?.executorID == executorID
    }
}

/// The continuations of the open `approvals` streams, behind a lock.
final class Watchers: @unchecked Sendable {
    private let lock = NSLock()
    private var continuations: [UUID: AsyncStream<Void>.Continuation] = [:]

    var count: Int { lock.withLock { continuations.count } }

    func add(_ id: UUID, _ continuation: AsyncStream<Void>.Continuation) {
        lock.withLock { continuations[id] = continuation }
    }

    func remove(_ id: UUID) {
        _ = lock.withLock { continuations.removeValue(forKey: id) }
    }

    func yieldToAll() {
        for continuation in lock.withLock({ Array(continuations.values) }) { continuation.yield() }
    }
}
