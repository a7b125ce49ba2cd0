import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A deadline for the portal-database work done while somebody waits for an answer (Slack gives 3 seconds).
///
/// `PortalDeadline.answer(within:grace:_:)` runs the work with the deadline in a task-local value, which
/// `PortalStore.transaction` honours: it sets `statement_timeout` to the time left, so the server itself stops a
/// statement that would run past it, and it rolls back instead of committing once the deadline has passed. A
/// submission therefore either commits before its answer is sent or not at all, and the answer says which:
/// - the work finished (even a little late, within `grace`): its own answer;
/// - it failed once the deadline had passed and nothing had been committed: `PortalUnavailable.nothingRecorded`;
/// - it failed after one of its transactions had committed: `.partlyRecorded`;
/// - it had not finished `grace` after the deadline (a COMMIT in flight to a server that stopped answering):
///   `.outcomeUnknown`. The work goes on in the background then, and may still commit; the answer says so.
///
/// Waiting for a pooled connection is cancelled at the deadline (postgres-nio honours task cancellation there),
/// which is what ends the wait when the database is down.
public final class PortalDeadline: Sendable {
    @TaskLocal public static var current: PortalDeadline?

    public let instant: ContinuousClock.Instant
    private let commits = Atomic<Int>(0)

    init(instant: ContinuousClock.Instant) {
        self.instant = instant
    }

    /// How long is left, or nil when the deadline has passed.
    var remaining: Duration? {
        let left = ContinuousClock.now.duration(to: instant)
        return left > .zero ? left : nil
    }

    func recordCommit() {
        commits.add(1, ordering: .relaxed)
    }

    var hasCommitted: Bool { commits.load(ordering: .relaxed) > 0 }

    /// How long work may take, and how much longer a COMMIT already sent is waited for before the answer says the
    /// outcome is unknown.
    public struct Budget: Sendable {
        public var time: Duration
        public var grace: Duration

        public init(time: Duration, grace: Duration) {
            self.time = time
            self.grace = grace
        }

        /// Slack gives 3 s for an answer; this keeps it to 2.5 s at most.
        public static let slack = Budget(time: .seconds(2), grace: .milliseconds(500))
        /// The portal API: a sign-in's bcrypt included.
        public static let api = Budget(time: .seconds(5), grace: .seconds(1))
    }

    /// Runs `work` against a deadline `budget.time` from now; see the type's description for what it returns or throws.
    public static func answer<Result: Sendable>(
        within budget: Budget, _ work: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let grace = budget.grace
        let deadline = PortalDeadline(instant: .now + budget.time)
        // Unstructured on purpose: the answer must not wait for work that ignores cancellation (a query on a
        // connection whose server stopped answering); the task keeps its deadline and can only roll back or finish.
        let task = Task { try await PortalDeadline.$current.withValue(deadline) { try await work() } }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let first = FirstOutcome(continuation)
                // The timers are tasks scheduled on an event loop rather than sleeping Swift tasks: every Slack
                // request sets one and nearly always cancels it, which costs NIO a heap insertion and removal, and
                // a sleeping task a dispatch timer of its own (7% of a submission's time, measured with perf).
                let loop = MultiThreadedEventLoopGroup.singleton.any()
                let timer = loop.scheduleTask(in: TimeAmount(budget.time)) {
                    task.cancel()
                    loop.scheduleTask(in: TimeAmount(grace)) {
                        first.resume(.failure(deadline.hasCommitted ? PortalUnavailable.partlyRecorded : .outcomeUnknown))
                    }
                }
                Task {
                    let result = await task.result
                    timer.cancel()
                    if case .failure = result, deadline.remaining == nil {
                        first.resume(.failure(deadline.hasCommitted ? PortalUnavailable.partlyRecorded : .nothingRecorded))
                    } else {
                        first.resume(result)
                    }
                }
            }
        } onCancel: {
            task.cancel()
        }
    }
}

/// Why an answer could not wait for the portal database.
public enum PortalUnavailable: Error, Equatable, CustomStringConvertible {
    /// The database did not answer in time, and nothing was recorded.
    case nothingRecorded
    /// Something was recorded before the database stopped answering (a decision, say), but not all of it.
    case partlyRecorded
    /// A commit was sent and not answered in time: it may or may not have happened.
    case outcomeUnknown

    public var description: String {
        switch self {
        case .nothingRecorded: "the portal database did not answer in time; nothing was recorded"
        case .partlyRecorded: "the portal database stopped answering after part of the work was recorded"
        case .outcomeUnknown: "the portal database did not confirm in time whether the work was recorded"
        }
    }

    /// What to tell the person waiting.
    public var message: String {
        switch self {
        case .nothingRecorded:
            "QueryGate cannot reach its database right now; nothing was recorded. Try again in a minute."
        case .partlyRecorded:
            "QueryGate lost its database while answering: what you did was recorded, but not everything that goes with it. "
                + "Check the request's state in a minute."
        case .outcomeUnknown:
            "QueryGate's database did not answer in time, so QueryGate cannot tell whether this was recorded. "
                + "Check your requests in a minute before trying again."
        }
    }
}

/// The first of two racing outcomes resumes the continuation; the other is dropped.
final class FirstOutcome<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, any Error>?>

    init(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ result: Result<Value, any Error>) {
        let waiting = continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(with: result)
    }
}

extension Duration {
    /// Whole milliseconds, at least 1, as a server-side timeout is given the time left (0 would mean no limit).
    var serverMilliseconds: Int { max(1, Int(self / .milliseconds(1))) }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(Int64(duration / .nanoseconds(1)))
    }
}
