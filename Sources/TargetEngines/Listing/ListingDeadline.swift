import Synchronization
import QueryGateCore

/// Runs `body`, or fails with a message saying what ran out of time, without waiting for `body` to notice: a
/// blocking libpq call on a pool thread cannot be cancelled, so it is left to finish by itself (libpq's
/// `connect_timeout` and the server's `statement_timeout` bound it) and its result is dropped.
func withListingDeadline<Result: Sendable>(
    _ timeout: Duration, what: String, _ body: @escaping @Sendable () async throws -> Result
) async throws(ExecutionFailure) -> Result {
    let outcome: Swift.Result<Result, ExecutionFailure> = await withCheckedContinuation { continuation in
        let once = ResumeOnce(continuation)
        @Sendable func finish(_ value: Swift.Result<Result, ExecutionFailure>) { once.resume(value) }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            finish(.failure(ExecutionFailure(message: "\(what) took longer than \(timeout) (QUERYGATE_SYNC_TIMEOUT)")))
        }
        Task {
            defer { timer.cancel() }
            do {
                finish(.success(try await body()))
            } catch let failure as ExecutionFailure {
                finish(.failure(failure))
            } catch {
                finish(.failure(ExecutionFailure(message: "\(what) failed: \(error)")))
            }
        }
    }
    return try outcome.get()
}

/// A continuation resumed by whichever of two tasks finishes first.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let pending: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) { pending = Mutex(continuation) }

    func resume(_ value: Value) {
        pending.withLock { continuation in
            continuation?.resume(returning: value)
            continuation = nil
        }
    }
}
