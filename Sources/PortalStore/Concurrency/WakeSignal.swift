import Foundation

/// Wakes waiting work loops when there is new work (a NOTIFY arrived), so that they need not poll often.
///
/// A signal that finds no loop waiting (they are all busy, say looking for work a moment before it was queued) is
/// kept, and the next `wait` returns at once: without that, the NOTIFY of work queued during a look would be lost
/// and the work would wait for the next poll.
public actor WakeSignal {
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    private var pending = false

    public init() {}

    public func signal() {
        guard !waiters.isEmpty else {
            pending = true
            return
        }
        let all = waiters.values
        waiters = [:]
        all.forEach { $0.resume() }
    }

    /// Returns on the next signal (at once if one came while nobody waited), after `timeout`, or when the task is
    /// cancelled.
    public func wait(upTo timeout: Duration) async {
        if pending {
            pending = false
            return
        }
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
