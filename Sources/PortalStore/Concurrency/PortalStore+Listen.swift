import Logging
import PostgresNIO

extension PortalStore {
    /// LISTENs on `channel` and signals `wake` for every notification, until the task is cancelled. A lost
    /// connection is logged and the LISTEN taken up again after `retryDelay`; every (re)subscription also signals
    /// once, so that work notified while nobody listened is not left waiting for the next poll.
    public func listen(on channel: String, wake: WakeSignal, retryDelay: Duration) async {
        await listen(on: channel, retryDelay: retryDelay) { await wake.signal() }
    }

    /// The same LISTEN as a stream: one element for every notification and every (re)subscription, until the
    /// stream is dropped or its reader's task cancelled, which ends the LISTEN. Elements nobody has read yet are
    /// coalesced into one: a wake-up says "look again", and one look finds all that was queued meanwhile.
    public func wakeUps(on channel: String, retryDelay: Duration) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let listening = Task { [self] in
            await listen(on: channel, retryDelay: retryDelay) { continuation.yield() }
            continuation.finish()
        }
        continuation.onTermination = { _ in listening.cancel() }
        return stream
    }

    /// The loop both forms share: calls `notified` on each (re)subscription and each notification.
    private func listen(on channel: String, retryDelay: Duration, notified: @escaping @Sendable () async -> Void) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        await notified()
                        for try await _ in notifications { await notified() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("LISTEN failed; polling until it is back", metadata: ["channel": "\(channel)", "error": "\(describe(error))"])
            }
            try? await Task.sleep(for: retryDelay)
        }
    }
}
