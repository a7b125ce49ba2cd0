import Foundation

/// Wake-ups within this process: what a NOTIFY does across processes, for work this process queued without one.
///
/// The submission queues its outbox rows without NOTIFY (migration 015: a NOTIFY makes every notifying commit in the
/// database queue for one lock, and the submission is the hottest statement). `PortalStore.submit` then rings this
/// instead, and the outbox worker of the same `PortalStore` listens to it beside its LISTEN, so the approval message
/// goes out at once from the replica that took the request. Other replicas find the rows at their next poll.
final class LocalWakeUps: @unchecked Sendable {
    private let lock = NSLock()
    private var listeners: [UUID: AsyncStream<Void>.Continuation] = [:]

    /// Wakes every open stream.
    func ring() {
        for listener in lock.withLock({ Array(listeners.values) }) { listener.yield() }
    }

    /// One element per ring from now on, coalesced while unread, until the stream is dropped.
    func stream() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        lock.withLock { listeners[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            _ = lock.withLock { listeners.removeValue(forKey: id) }
        }
        return stream
    }
}
