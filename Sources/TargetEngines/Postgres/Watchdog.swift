import CLibPQ
import Foundation

/// Cancels the running statement from the client side (`PQcancel`, which is safe from another thread): when it
/// is still running after `after` (the server's own `statement_timeout` should have stopped it first), or at once
/// when the Swift task running the execution is cancelled (`cancelTask()`).
final class Watchdog: @unchecked Sendable {
    private let cancel: OpaquePointer?
    private let lock = NSLock()
    private var armed = true
    private var taskCancelled = false
    private var deadlinePassed = false

    init(connection: LibPQConnection, after delay: Duration) {
        cancel = PQgetCancel(connection.pointer)
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            lock.lock()
            deadlinePassed = armed
            lock.unlock()
            fire()
        }
    }

    /// True once the deadline passed while armed: QueryGate's time limit, not the server's, ended the statement.
    var firedAtDeadline: Bool {
        lock.lock()
        defer { lock.unlock() }
        return deadlinePassed
    }

    /// True once `cancelTask()` was called: the run then sends nothing more of the request.
    var isTaskCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return taskCancelled
    }

    /// The execution's task was cancelled: remember it, and cancel whatever statement runs now.
    func cancelTask() {
        lock.lock()
        taskCancelled = true
        lock.unlock()
        fire()
    }

    func fire() {
        lock.lock()
        defer { lock.unlock() }
        guard armed, let cancel else { return }
        var message = [CChar](repeating: 0, count: 256)
        PQcancel(cancel, &message, 256)
    }

    func disarm() {
        lock.lock()
        defer { lock.unlock() }
        guard armed else { return }
        armed = false
        if let cancel { PQfreeCancel(cancel) }
    }
}
