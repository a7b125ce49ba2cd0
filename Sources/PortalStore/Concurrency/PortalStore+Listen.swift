import Logging
import PostgresNIO

extension PortalStore {
    /// LISTENs on `channel` and signals `wake` for every notification, until the task is cancelled. A lost
    /// connection is logged and the LISTEN taken up again after `retryDelay`; every (re)subscription also signals
    /// once, so that work notified while nobody listened is not left waiting for the next poll.
    public func listen(on channel: String, wake: WakeSignal, retryDelay: Duration) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        await wake.signal()
                        for try await _ in notifications { await wake.signal() }
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
