import Foundation
import NIOCore
import PortalStore
import QueryGateCore
import Synchronization

/// `NotificationOutbox` in memory: the Slack outbox without a database, for tests of the outbox worker. It keeps
/// the PostgreSQL implementation's rules (`PortalStore+OutboxDelivery`): the due notification waiting longest is
/// claimed first (then the lowest id), a live lease keeps it from everyone else and only its holder renews it, an
/// update or a thread reply waits for its parent's message and for older ones about the same parent, and each
/// `DeliveryResult` is recorded as the SQL records it, down to a worker that lost its claim meanwhile.
/// `NotificationOutboxContractTests` runs the same stories through both to keep the two alike.
///
/// Time is the `ContinuousClock`'s. Rows this version cannot send (an unknown type, a payload that is not an object
/// of strings) cannot be enqueued here: the types say so. A queued notification wakes every stream of
/// `outboxWakeUps`, as NOTIFY `querygate_outbox` does.
public actor MemoryNotificationOutbox: NotificationOutbox {
    public enum Status: String, Sendable {
        case pending, sent, failed
    }

    /// One notification, as a row of `slack_notifications` holds it.
    public struct Notification: Sendable, Equatable {
        public let id: Int
        public let type: NotificationType
        public let requestID: Int?
        public let recipient: String
        public let parentID: Int?
        public let payload: [String: String]
        public internal(set) var channelID: String?
        public internal(set) var status = Status.pending
        public internal(set) var attempts = 0
        public internal(set) var nextAttemptAt: ContinuousClock.Instant
        public internal(set) var lastError: String?
        public internal(set) var messageTS: String?
        public internal(set) var claimedBy: String?
        public internal(set) var leaseExpiresAt: ContinuousClock.Instant?
    }

    /// In id order, as `BIGSERIAL` hands them out.
    private var notifications: [Notification] = []
    private var requests: [Int: RequestDetails] = [:]
    private var users: [String: User] = [:]
    private var storedExports: [Int: [ExportFormat: [ByteBuffer]]] = [:]
    /// How many times a worker has looked for a due notification: how a test knows the worker has looked and waits.
    public private(set) var claimsTried = 0
    /// The open wake-up streams. Behind a mutex rather than in the actor, so that `outboxWakeUps` can subscribe at
    /// once, before it returns, as the protocol's synchronous signature asks.
    private let wakeUps = Mutex<[UUID: AsyncStream<Void>.Continuation]>([:])

    public init() {}

    // MARK: - What tests set up and read

    /// Queues a notification, as the transactions of `PortalStore` do, and wakes the listening workers.
    @discardableResult
    public func enqueue(
        _ type: NotificationType, requestID: Int? = nil, recipient: String, parentID: Int? = nil, channelID: String? = nil,
        payload: [String: String] = [:]
    ) -> Int {
        let id = (notifications.last?.id ?? 0) + 1
        notifications.append(Notification(id: id, type: type, requestID: requestID, recipient: recipient, parentID: parentID,
                                          payload: payload, channelID: channelID, nextAttemptAt: .now))
        wakeUps.withLock { $0.values.forEach { $0.yield() } }
        return id
    }

    /// Adds (or replaces) a request that notifications render.
    public func add(_ request: RequestDetails) {
        requests[request.id] = request
    }

    /// Adds (or replaces) a person whose Home tab may be published.
    public func add(_ user: User) {
        guard let slackUserID = user.slackUserID else { return }
        users[slackUserID] = user
    }

    /// Stores an export of `requestID` in `chunks`, as the executor stores a result file.
    public func storeExport(of requestID: Int, format: ExportFormat, chunks: [ByteBuffer]) {
        storedExports[requestID, default: [:]][format] = chunks
    }

    public func notification(_ id: Int) -> Notification? {
        notifications.first { $0.id == id }
    }

    /// Every notification, in id order.
    public var all: [Notification] { notifications }
    public var sent: [Notification] { notifications.filter { $0.status == .sent } }
    public var failed: [Notification] { notifications.filter { $0.status == .failed } }
    public var pending: [Notification] { notifications.filter { $0.status == .pending } }

    /// How many wake-up streams are open: a worker that listens holds one.
    public nonisolated var listeners: Int { wakeUps.withLock { $0.count } }

    // MARK: - NotificationOutbox

    public nonisolated func outboxWakeUps(retryDelay: Duration) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        continuation.onTermination = { _ in self.forgetListener(id) }
        // As a (re)subscription to LISTEN does: one wake-up at once, for whatever was queued before.
        continuation.yield()
        wakeUps.withLock { $0[id] = continuation }
        return stream
    }

    public func claimNextNotification(workerID: String, lease: Duration) async throws -> PortalStore.OutboxMessage? {
        claimsTried += 1
        let now = ContinuousClock.now
        while true {
            let due = notifications.indices.filter { isDue(notifications[$0], at: now) }
            guard let index = due.min(by: { (notifications[$0].nextAttemptAt, notifications[$0].id) < (notifications[$1].nextAttemptAt, notifications[$1].id) })
            else { return nil }
            let parent = notifications[index].parentID.flatMap { notification($0) }
            // An update of a message that was never delivered can never be sent: recorded as failed, and on to the next.
            if parent?.status == .failed {
                notifications[index].status = .failed
                notifications[index].lastError = "the message it updates was never delivered"
                continue
            }
            notifications[index].claimedBy = workerID
            notifications[index].leaseExpiresAt = now + lease
            let claimed = notifications[index]
            return PortalStore.OutboxMessage(
                id: claimed.id, type: claimed.type, requestID: claimed.requestID, recipient: claimed.recipient, channelID: claimed.channelID,
                parentChannelID: parent?.channelID, parentTS: parent?.messageTS, payload: claimed.payload, attempts: claimed.attempts)
        }
    }

    public func renewNotificationLease(id: Int, workerID: String, lease: Duration) async throws -> Bool {
        guard let index = index(of: id), notifications[index].status == .pending, notifications[index].claimedBy == workerID else { return false }
        notifications[index].leaseExpiresAt = .now + lease
        return true
    }

    public func recordDelivery(
        _ result: PortalStore.DeliveryResult, of message: PortalStore.OutboxMessage, workerID: String, maxAttempts: Int
    ) async throws {
        guard let index = index(of: message.id) else { return }
        let holdsClaim = notifications[index].claimedBy == workerID
        switch result {
        case .sent(let channelID, let ts):
            // The message exists whoever holds the claim now: recorded unless another worker recorded it first.
            if notifications[index].status == .pending {
                notifications[index].status = .sent
                notifications[index].attempts += 1
                notifications[index].channelID = channelID ?? notifications[index].channelID
                notifications[index].messageTS = ts
                notifications[index].lastError = nil
                release(index)
            }
            if message.type == .approvalRequest, let requestID = message.requestID, let channelID, let ts, let request = requests[requestID] {
                requests[requestID] = request.postedAs(channelID: channelID, ts: ts)
            }
        case .conversationOpened(let channelID) where holdsClaim:
            notifications[index].channelID = channelID
            release(index)
        case .rateLimited(let delay) where holdsClaim:
            notifications[index].nextAttemptAt = .now + delay
            notifications[index].lastError = "rate limited"
            release(index)
        case .retry(let delay, let error) where holdsClaim && message.attempts + 1 < maxAttempts:
            notifications[index].attempts += 1
            notifications[index].nextAttemptAt = .now + delay
            notifications[index].lastError = error
            release(index)
        case .retry(_, let error) where holdsClaim, .failed(let error) where holdsClaim:
            notifications[index].status = .failed
            notifications[index].attempts += 1
            notifications[index].lastError = error
            release(index)
        case .conversationOpened, .rateLimited, .retry, .failed:
            // A worker that lost the claim records nothing but a sent message: it must not overwrite a newer worker's record.
            break
        }
    }

    public func requestDetails(id: Int) async throws -> RequestDetails? {
        requests[id]
    }

    public func user(slackUserID: String) async throws -> User? {
        users[slackUserID]
    }

    /// As `PortalStore.homeTab`: the pending requests awaiting the person's decision and their own recent ten,
    /// newest first.
    public func homeTab(for user: User) async throws -> (decisions: [RequestDetails], recent: [RequestDetails]) {
        let newestFirst = requests.values.sorted { $0.id > $1.id }
        return (newestFirst.filter { RequestWorkflow.awaitsDecision(of: user, on: $0) },
                Array(newestFirst.filter { $0.requester.email == user.email }.prefix(10)))
    }

    /// JSON Lines before CSV, as the SQL orders them.
    public func exports(of requestID: Int) async throws -> [PortalStore.StoredExport] {
        (storedExports[requestID] ?? [:]).sorted { $0.key.rawValue > $1.key.rawValue }.map { format, chunks in
            PortalStore.StoredExport(format: format, bytes: chunks.reduce(0) { $0 + $1.readableBytes }, chunks: chunks.count)
        }
    }

    public func exportChunk(of requestID: Int, format: ExportFormat, sequence: Int) async throws -> ByteBuffer? {
        guard let chunks = storedExports[requestID]?[format], chunks.indices.contains(sequence) else { return nil }
        return chunks[sequence]
    }

    public func deleteExport(of requestID: Int) async throws {
        storedExports[requestID] = nil
    }

    // MARK: - The claim's rules

    /// The SQL's `WHERE`: pending, its time come, no live lease, its parent delivered (or failed, to be failed with
    /// it), and no older notification about the same parent still pending.
    private func isDue(_ candidate: Notification, at now: ContinuousClock.Instant) -> Bool {
        guard candidate.status == .pending, candidate.nextAttemptAt <= now, candidate.leaseExpiresAt.map({ $0 < now }) ?? true else { return false }
        guard let parentID = candidate.parentID else { return true }
        let parent = notification(parentID)
        guard parent?.messageTS != nil || parent?.status == .failed else { return false }
        return !notifications.contains { $0.parentID == parentID && $0.id < candidate.id && $0.status == .pending }
    }

    private nonisolated func forgetListener(_ id: UUID) {
        _ = wakeUps.withLock { $0.removeValue(forKey: id) }
    }

    private func index(of id: Int) -> Int? {
        notifications.firstIndex { $0.id == id }
    }

    private func release(_ index: Int) {
        notifications[index].claimedBy = nil
        notifications[index].leaseExpiresAt = nil
    }
}

extension RequestDetails {
    /// The request once its approval message is in Slack: what `recordDelivery` writes to `query_requests`.
    fileprivate func postedAs(channelID: String, ts: String) -> RequestDetails {
        RequestDetails(
            id: id, status: status, submissionType: submissionType, queryText: queryText, reason: reason, target: target,
            databaseType: databaseType, requester: requester, podName: podName, podChannelID: podChannelID, managerSlackIDs: managerSlackIDs,
            approver: approver, rejecter: rejecter, rejectionReason: rejectionReason, createdAt: createdAt, decidedAt: decidedAt,
            slackChannelID: channelID, slackMessageTS: ts, executionStartedAt: executionStartedAt, executionFinishedAt: executionFinishedAt,
            outcome: outcome, approvalsRequired: approvalsRequired, approvals: approvals)
    }
}
