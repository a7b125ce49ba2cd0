import Foundation
import ServiceLifecycle
import Synchronization

/// Opens once: what waits on it starts only after it opens. The workers wait on it until the portal schema is
/// migrated, so a first start does not log "could not claim a request" before the tables exist.
public final class ReadinessGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [UUID: CheckedContinuation<Void, Never>])>((false, [:]))

    public init() {}

    public func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns when the gate is open, or when the task is cancelled (then the result is false).
    public func wait() async -> Bool {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.open || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
        return state.withLock { $0.open }
    }
}

/// A service that starts `service` once `gate` opens, and ends without starting it if a shutdown comes first.
struct GatedService: Service {
    let gate: ReadinessGate
    let service: any Service

    func run() async throws {
        let opened = await cancelWhenGracefulShutdown { await gate.wait() }
        guard opened, !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        try await service.run()
    }
}
