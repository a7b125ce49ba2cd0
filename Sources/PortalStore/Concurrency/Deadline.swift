/// A piece of work that did not finish in the time it was given.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let what: String
    public let limit: Duration

    public var description: String { "\(what) did not finish within \(limit)" }
}

/// Runs `work`, and throws `DeadlineExceeded` if it has not finished within `limit`.
///
/// At the limit the work is cancelled and the caller goes on at once, without waiting for the work to notice:
/// postgres-nio does not cancel a query in flight, and a worker must not hang on a connection whose server went
/// away. Whatever the work does after that must be safe to leave unfinished (a claim it holds expires by itself).
///
/// Cancelling the caller cancels the work.
public func withDeadline<Result: Sendable>(
    _ limit: Duration, _ what: String, _ work: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let task = Task { try await work() }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            let first = FirstOutcome(continuation)
            let timer = Task {
                try await Task.sleep(for: limit)
                // The deadline's outcome first, then the cancellation: cancelled first, the work can end (with a
                // CancellationError) and resume before it, and the caller would learn of a cancellation nobody asked for.
                first.resume(.failure(DeadlineExceeded(what: what, limit: limit)))
                task.cancel()
            }
            Task {
                let result = await task.result
                timer.cancel()
                first.resume(result)
            }
        }
    } onCancel: {
        task.cancel()
    }
}

/// Runs `work` to its end even when the caller is being cancelled, within `limit`: what records the outcome of
/// something already done (a Slack message sent) must not be skipped because a shutdown began meanwhile.
public func withoutCancellation<Result: Sendable>(
    _ limit: Duration, _ what: String, _ work: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await Task { try await withDeadline(limit, what, work) }.value
}
