import NIOCore
import QueryGateCore

/// What the Slack outbox worker needs of the portal database: the due notifications, claimed one at a time with a
/// lease and recorded once Slack has answered, a wake-up when one is queued, and the state a message is rendered
/// from when it is delivered (the request, the Home tab's person and requests, the stored export).
///
/// `PortalStore` is the implementation on PostgreSQL (`PortalStore+OutboxDelivery`: `FOR NO KEY UPDATE … SKIP
/// LOCKED`, LISTEN on `querygate_outbox`); the tests' `MemoryNotificationOutbox` is a twin in memory, held to the
/// same contract by `NotificationOutboxContractTests`, which runs the same stories on both, so that tests of the
/// worker's delivery need no database.
public protocol NotificationOutbox: Sendable {
    /// One element when the stream starts, and one whenever a notification may have been queued; it ends when it is
    /// dropped or its reader's task is cancelled. How the wake-up arrives (LISTEN/NOTIFY, re-subscribed after
    /// `retryDelay` when the connection is lost) is the implementation's business.
    func outboxWakeUps(retryDelay: Duration) -> AsyncStream<Void>
    /// Claims the oldest due notification for `workerID` until `lease` from now; nil when nothing is due.
    func claimNextNotification(workerID: String, lease: Duration) async throws -> PortalStore.OutboxMessage?
    /// Extends `workerID`'s claim during a long Slack call; false when it no longer holds the claim.
    func renewNotificationLease(id: Int, workerID: String, lease: Duration) async throws -> Bool
    /// Records what became of a claimed notification, and releases the claim.
    func recordDelivery(_ result: PortalStore.DeliveryResult, of message: PortalStore.OutboxMessage, workerID: String, maxAttempts: Int) async throws

    /// The request a notification is about, as it stands now.
    func requestDetails(id: Int) async throws -> RequestDetails?
    /// Whose Home tab a `home_tab` notification republishes.
    func user(slackUserID: String) async throws -> User?
    /// What that person's Home tab shows.
    func homeTab(for user: User) async throws -> (decisions: [RequestDetails], recent: [RequestDetails])
    /// A request's stored export files, read one chunk at a time for the upload, deleted once Slack has them.
    func exports(of requestID: Int) async throws -> [PortalStore.StoredExport]
    func exportChunk(of requestID: Int, format: ExportFormat, sequence: Int) async throws -> ByteBuffer?
    func deleteExport(of requestID: Int) async throws
}

extension PortalStore: NotificationOutbox {
    /// LISTEN on `outboxChannel`, and the rows this process queued without NOTIFY (`submit`), as one stream.
    public func outboxWakeUps(retryDelay: Duration) -> AsyncStream<Void> {
        let listened = wakeUps(on: Self.outboxChannel, retryDelay: retryDelay)
        let local = localOutboxWakeUps.stream()
        let (merged, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let forwarding = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { for await _ in listened { continuation.yield() } }
                group.addTask { for await _ in local { continuation.yield() } }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in forwarding.cancel() }
        return merged
    }
}
