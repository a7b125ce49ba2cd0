import NIOCore
import NIOPosix
import Synchronization

/// Submissions that arrive while others are on their way to the portal database wait for them, then go together in
/// one statement: the server's cost per statement is paid once for several (migrations 018 and 019 have the figures).
///
/// At most `maximumInFlight` statements are out at once. A submission that finds one of them free goes at once, alone,
/// as it would without the batcher; one that does not joins the queue, and the next statement to come back takes the
/// queue with it (up to `maximumBatch`). Nothing waits on a timer: under light load every submission goes alone.
///
/// Deadlines (`PortalDeadline`): a queued submission whose deadline passes, or whose task is cancelled, leaves the
/// queue unsent and is answered `PortalUnavailable.nothingRecorded`, truthfully. A statement carries the least time
/// any of its submissions has left, which the server honours (migration 018), and its wait for a pooled connection is
/// cancelled when that time is up, as a caller's own would be; a statement that failed past it is answered, for each
/// submission with a deadline, `nothingRecorded`, as `PortalDeadline` answers one submission. When the server
/// refuses a statement of several (its error says so, and then none of them was recorded), they are sent again one
/// by one, each with its own deadline, for each its own answer; one refused alone, or a statement lost on the way (a
/// dropped connection: recorded or not, nobody knows), fails for each of its submissions as it would for one.
///
/// Hangs: a statement still out after `patience` (its server stopped answering, and postgres-nio cannot cancel a
/// running query) stops counting against `maximumInFlight`, and another flight takes the queue, up to
/// `maximumFlights` in all: one hung connection holds up the submissions behind it for `patience`, no longer.
final class SubmissionBatcher<Item: Sendable, Answer: Sendable>: Sendable {
    /// Sends `items` as one statement, with the least time any of them has left (nil: none has a deadline), and
    /// returns one answer per item, in order.
    typealias Send = @Sendable (_ items: [Item], _ millisecondsLeft: Int?) async throws -> [Answer]

    private struct Waiting: Sendable {
        let id: UInt64
        let item: Item
        let deadline: PortalDeadline?
        let continuation: CheckedContinuation<Answer, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        /// Flights: tasks that send a statement, then the queue, until it is empty.
        var flights = 0
        /// The statements out for less than `patience`, by number: what counts against `maximumInFlight`.
        var prompt: Set<UInt64> = []
        var nextID: UInt64 = 0

        mutating func newID() -> UInt64 {
            defer { nextID += 1 }
            return nextID
        }

        mutating func take(upTo count: Int) -> [Waiting] {
            let taken = Array(queue.prefix(count))
            queue.removeFirst(taken.count)
            return taken
        }
    }

    /// A statement about to be sent, and its number in `State.prompt`.
    private struct Statement {
        let id: UInt64
        let batch: [Waiting]
    }

    private let state = Mutex(State())
    private let maximumInFlight: Int
    private let maximumBatch: Int
    private let patience: Duration
    private let maximumFlights: Int
    private let send: Send
    /// Whether an error is the server's refusal of the statement, which therefore recorded nothing.
    private let isRefusal: @Sendable (any Error) -> Bool

    /// - Parameters:
    ///   - patience: how long a statement may be out before it stops counting against `maximumInFlight`: a
    ///     statement that hangs (its connection's server stopped answering) holds up the queue this long at most,
    ///     then another flight takes it, up to `maximumFlights` flights in all.
    init(maximumInFlight: Int, maximumBatch: Int, patience: Duration = .milliseconds(200), maximumFlights: Int = 8,
         isRefusal: @escaping @Sendable (any Error) -> Bool, send: @escaping Send) {
        precondition(maximumInFlight > 0 && maximumBatch > 0 && maximumFlights >= maximumInFlight)
        self.maximumInFlight = maximumInFlight
        self.maximumBatch = maximumBatch
        self.patience = patience
        self.maximumFlights = maximumFlights
        self.isRefusal = isRefusal
        self.send = send
    }

    /// How many submissions wait for a statement to come back.
    var queued: Int { state.withLock { $0.queue.count } }

    /// Sends `item` alone or with others, under the caller's `PortalDeadline`, and returns its answer.
    func submit(_ item: Item) async throws -> Answer {
        let deadline = PortalDeadline.current
        let id = state.withLock { $0.newID() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Cancellation is looked at under the lock `onCancel` takes: it either comes first and is seen here,
                // or comes after and finds the submission in the queue.
                let queued: Statement?? = state.withLock { state in
                    guard !Task.isCancelled, deadline == nil || deadline?.remaining != nil else { return .none }
                    state.queue.append(Waiting(id: id, item: item, deadline: deadline, continuation: continuation))
                    return .some(takeOff(&state))
                }
                guard let statement = queued else {
                    continuation.resume(throwing: deadline == nil ? CancellationError() : PortalUnavailable.nothingRecorded)
                    return
                }
                if let statement { fly(statement) }
            }
        } onCancel: {
            let left = state.withLock { state in state.queue.firstIndex { $0.id == id }.map { state.queue.remove(at: $0) } }
            left?.continuation.resume(throwing: left?.deadline == nil ? CancellationError() : PortalUnavailable.nothingRecorded)
        }
    }

    /// A new flight's first statement, taken from the queue, when fewer than `maximumInFlight` statements are out
    /// and prompt, and fewer than `maximumFlights` flights exist.
    private func takeOff(_ state: inout State) -> Statement? {
        guard !state.queue.isEmpty, state.prompt.count < maximumInFlight, state.flights < maximumFlights else { return nil }
        state.flights += 1
        return nextStatement(&state)
    }

    /// The queue's head, up to `maximumBatch`, as a statement that counts as prompt from now.
    private func nextStatement(_ state: inout State) -> Statement {
        let statement = Statement(id: state.newID(), batch: state.take(upTo: maximumBatch))
        state.prompt.insert(statement.id)
        return statement
    }

    /// Sends `first`, then what queued meanwhile, until the queue is empty or enough other flights serve it.
    /// Detached: its statements serve many callers and carry none of the first one's task-locals.
    private func fly(_ first: Statement) {
        Task.detached {
            var statement: Statement? = first
            while let current = statement {
                let overdue = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(self.patience)) {
                    self.overran(current.id)
                }
                await self.sendAndAnswer(current.batch)
                // Too late when the timer is already running: then `overran` finds the statement gone, or starts a
                // flight a moment early, and this one leaves if it is not needed.
                overdue.cancel()
                statement = self.state.withLock { state in
                    // One that overran rejoins the prompt ones only if they are too few without it.
                    let wasPrompt = state.prompt.remove(current.id) != nil
                    guard wasPrompt || state.prompt.count < self.maximumInFlight, !state.queue.isEmpty else {
                        state.flights -= 1
                        return nil
                    }
                    return self.nextStatement(&state)
                }
            }
        }
    }

    /// A statement still out after `patience` stops counting, and another flight takes the queue if it can.
    private func overran(_ id: UInt64) {
        let statement = state.withLock { state -> Statement? in
            guard state.prompt.remove(id) != nil else { return nil }
            return takeOff(&state)
        }
        if let statement { fly(statement) }
    }

    private func sendAndAnswer(_ batch: [Waiting]) async {
        var sent: [Waiting] = []
        var soonest: ContinuousClock.Instant?
        for waiting in batch {
            if let deadline = waiting.deadline {
                guard deadline.remaining != nil else {
                    waiting.continuation.resume(throwing: PortalUnavailable.nothingRecorded)
                    continue
                }
                soonest = min(soonest ?? deadline.instant, deadline.instant)
            }
            sent.append(waiting)
        }
        guard !sent.isEmpty else { return }
        let answers: [Answer]
        do {
            answers = try await send(sent.map(\.item), within: soonest)
        } catch let error as UnexpectedPortalState {
            // The statement answered, in a way this version cannot read: it may have recorded them, so none of them
            // may be told that nothing was.
            for waiting in sent {
                waiting.deadline?.recordCommit()
                waiting.continuation.resume(throwing: error)
            }
            return
        } catch where sent.count > 1 && isRefusal(error) {
            await withTaskGroup(of: Void.self) { group in
                for waiting in sent { group.addTask { await self.sendAndAnswer([waiting]) } }
            }
            return
        } catch {
            // Past the soonest deadline the statement could not commit (migration 018): each submission with a
            // deadline is told what one is told of a statement that failed after its deadline (`PortalDeadline`),
            // and one without a deadline, which another's deadline cut short, is sent again alone.
            let tooLate = soonest.map { ContinuousClock.now >= $0 } ?? false
            for waiting in sent {
                switch (tooLate, waiting.deadline) {
                case (true, .some(let deadline)):
                    waiting.continuation.resume(throwing: deadline.hasCommitted ? PortalUnavailable.partlyRecorded : .nothingRecorded)
                case (true, nil) where sent.count > 1: await sendAndAnswer([waiting])
                default: waiting.continuation.resume(throwing: error)
                }
            }
            return
        }
        // Answered, so committed: whatever follows, none of them may be told that nothing was recorded.
        for waiting in sent { waiting.deadline?.recordCommit() }
        guard answers.count == sent.count else {
            let error = UnexpectedPortalState("\(sent.count) submissions sent together were answered \(answers.count) times")
            for waiting in sent { waiting.continuation.resume(throwing: error) }
            return
        }
        for (waiting, answer) in zip(sent, answers) { waiting.continuation.resume(returning: answer) }
    }

    /// `send`, cancelled when `soonest` passes, as a caller's own statement would be: a wait for a connection ends
    /// then. The statement itself refuses to commit after that deadline (migration 018).
    private func send(_ items: [Item], within soonest: ContinuousClock.Instant?) async throws -> [Answer] {
        let send = self.send
        guard let soonest else { return try await send(items, nil) }
        let left = ContinuousClock.now.duration(to: soonest)
        let sending = Task { try await send(items, left.serverMilliseconds) }
        let giveUp = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(left)) { sending.cancel() }
        defer { giveUp.cancel() }
        return try await sending.value
    }
}
