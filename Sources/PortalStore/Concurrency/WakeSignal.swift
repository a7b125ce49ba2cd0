import Foundation

/// Wakes waiting work loops when there is new work (a NOTIFY arrived), so that they need not poll often.
public actor WakeSignal {
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    public init() {}

    public func signal() {
        let all = waiters.values
        waiters = [:]
        all.forEach { $0.resume() }
    }

    /// Returns on the next signal, after `timeout`, or when the task is cancelled.
    public func wait(upTo timeout: Duration) async {
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled { continuation.resume() } else { waiters[id] = continuation }
            }
        } onCancel: {
            Task { await self.resume(id) }
        }
        timer.cancel()
    }

    private func resume(_ id: UUID) {
        waiters.removeValue(forKey: id)?.resume()
    }
}
