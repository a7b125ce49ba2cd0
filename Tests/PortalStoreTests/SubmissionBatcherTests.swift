@testable import PortalStore
import Synchronization
import Testing

/// `SubmissionBatcher` against a stand-in for the database that holds statements until told to answer: who goes
/// alone, who goes together, and what each caller is told when a statement is refused, lost, or too late.
@Suite("Submissions sent together")
struct SubmissionBatcherTests {
    /// A statement refused by the server: nothing of it was recorded.
    struct Refused: Error, Equatable { let item: Int }
    /// A statement lost on the way: whether it was recorded is unknown.
    struct Lost: Error {}

    /// Records each statement it is sent, answers each item with its own value times ten, refuses a statement
    /// that holds a negative item, loses one that holds an item it was told to lose, and, after `hold()`, holds each statement until `release()`; one that holds an item named by `hang` is held whenever it comes.
    final class Database: Sendable {
        private struct State {
            var sent: [[Int]] = []
            var deadlines: [Int?] = []
            var held: [CheckedContinuation<Void, Never>] = []
            /// Hold every statement (nil: none), or only those that hold one of these items.
            var holding: Set<Int>?
            var holdingAll = false
            var lost: Set<Int> = []
            var garbled: Set<Int> = []
        }
        private let state = Mutex(State())

        var sent: [[Int]] { state.withLock { $0.sent } }
        var deadlines: [Int?] { state.withLock { $0.deadlines } }

        func hold() { state.withLock { $0.holdingAll = true } }
        /// Holds, until `release()`, every statement that holds `item`: one that hangs.
        func hang(_ item: Int) { state.withLock { $0.holding = ($0.holding ?? []).union([item]) } }
        /// Every statement that holds `item` is answered with one answer too few: recorded, but unreadable.
        func garble(_ item: Int) { state.withLock { _ = $0.garbled.insert(item) } }
        /// Every statement that holds `item` is lost on the way.
        func lose(_ item: Int) { state.withLock { _ = $0.lost.insert(item) } }

        func release() {
            let held = state.withLock { state in
                // What `hang` named stays hung for the statements still to come; `hold()` ends here.
                defer { state.held = []; state.holdingAll = false }
                return state.held
            }
            for statement in held { statement.resume() }
        }

        func send(_ items: [Int], _ millisecondsLeft: Int?) async throws -> [Int] {
            let holding = state.withLock { state in
                state.sent.append(items)
                state.deadlines.append(millisecondsLeft)
                return state.holdingAll || !(state.holding ?? []).isDisjoint(with: items)
            }
            if holding { await withCheckedContinuation { continuation in state.withLock { $0.held.append(continuation) } } }
            if state.withLock({ !$0.lost.isDisjoint(with: items) }) { throw Lost() }
            if let bad = items.first(where: { $0 < 0 }) { throw Refused(item: bad) }
            if state.withLock({ !$0.garbled.isDisjoint(with: items) }) { return items.dropLast().map { $0 * 10 } }
            return items.map { $0 * 10 }
        }

        /// Patience is long unless a test is about it: a held statement must not be overtaken.
        func batcher(inFlight: Int = 1, batch: Int = 16, patience: Duration = .seconds(60), flights: Int = 8) -> SubmissionBatcher<Int, Int> {
            SubmissionBatcher(maximumInFlight: inFlight, maximumBatch: batch, patience: patience, maximumFlights: flights,
                              isRefusal: { $0 is Refused }) { items, left in
                try await self.send(items, left)
            }
        }

        /// Waits until `count` statements are held (a few seconds at most).
        func untilHeld(_ count: Int) async throws {
            for _ in 0..<1000 where state.withLock({ $0.held.count }) < count { try await Task.sleep(for: .milliseconds(5)) }
            #expect(state.withLock { $0.held.count } == count)
        }
    }

    /// Submits 1 and holds its statement (until `release()`), so that what is submitted next queues behind it.
    static func heldFirst(in batcher: SubmissionBatcher<Int, Int>, _ database: Database) async throws -> Task<Int, any Error> {
        database.hold()
        let first = Task { try await batcher.submit(1) }
        try await database.untilHeld(1)
        return first
    }

    /// Submits `items` in order, each one queued before the next is submitted, under `deadline` if given.
    static func queue(_ items: [Int], in batcher: SubmissionBatcher<Int, Int>, deadline: Duration? = nil) async throws -> [Task<Int, any Error>] {
        var tasks: [Task<Int, any Error>] = []
        for item in items {
            let before = batcher.queued
            tasks.append(Task {
                guard let deadline else { return try await batcher.submit(item) }
                return try await PortalDeadline.$current.withValue(PortalDeadline(instant: .now + deadline)) { try await batcher.submit(item) }
            })
            for _ in 0..<1000 where batcher.queued == before { try await Task.sleep(for: .milliseconds(2)) }
            #expect(batcher.queued == before + 1)
        }
        return tasks
    }

    static func answers(_ tasks: [Task<Int, any Error>]) async -> [Result<Int, any Error>] {
        var results: [Result<Int, any Error>] = []
        for task in tasks { results.append(await task.result) }
        return results
    }

    @Test func aSubmissionThatFindsTheWayFreeGoesAloneAndAtOnce() async throws {
        let database = Database()
        let batcher = database.batcher(inFlight: 2)
        #expect(try await batcher.submit(4) == 40)
        #expect(try await batcher.submit(5) == 50)
        #expect(database.sent == [[4], [5]])
        #expect(database.deadlines == [nil, nil], "without a deadline, none is sent")

        // Two at once with two statements allowed out: neither waits for the other.
        database.hold()
        let first = Task { try await batcher.submit(6) }
        let second = Task { try await batcher.submit(7) }
        try await database.untilHeld(2)
        #expect(batcher.queued == 0)
        database.release()
        #expect(try await [first.value, second.value].sorted() == [60, 70])
    }

    @Test func submissionsThatQueueBehindAStatementGoTogetherEachWithItsOwnAnswer() async throws {
        let database = Database()
        let batcher = database.batcher(inFlight: 1, batch: 3)
        let first = try await Self.heldFirst(in: batcher, database)
        // Five queue behind it: three go in the next statement, two in the one after.
        let queued = try await Self.queue([2, 3, 4, 5, 6], in: batcher)
        database.release()
        #expect(try await first.value == 10)
        #expect(await Self.answers(queued).map { try? $0.get() } == [20, 30, 40, 50, 60])
        #expect(database.sent == [[1], [2, 3, 4], [5, 6]])
        #expect(batcher.queued == 0)
        // The way is free again: the next goes alone.
        #expect(try await batcher.submit(7) == 70)
        #expect(database.sent.last == [7])
    }

    @Test func aStatementTheServerRefusedIsSentAgainOneByOneSoThatEachGetsItsOwnAnswer() async throws {
        let database = Database()
        let batcher = database.batcher(inFlight: 1)
        let first = try await Self.heldFirst(in: batcher, database)
        let queued = try await Self.queue([2, -3, 4], in: batcher)
        database.release()
        #expect(try await first.value == 10)
        let answers = await Self.answers(queued)
        #expect(try answers[0].get() == 20)
        #expect(throws: Refused(item: -3)) { try answers[1].get() }
        #expect(try answers[2].get() == 40)
        #expect(database.sent[1] == [2, -3, 4])
        #expect(database.sent.dropFirst(2).sorted { $0[0] < $1[0] } == [[-3], [2], [4]])
        #expect(database.sent.count == 5, "each sent once more, alone, and nothing else")
    }

    @Test func aStatementLostOnTheWayFailsForEachOfItsSubmissionsAndIsNotSentAgain() async throws {
        let database = Database()
        let batcher = database.batcher(inFlight: 1)
        let first = try await Self.heldFirst(in: batcher, database)
        let queued = try await Self.queue([2, 3], in: batcher)
        // The first statement comes back; the one holding 2 and 3 is lost: it may have been recorded.
        database.lose(2)
        database.release()
        #expect(try await first.value == 10)
        for answer in await Self.answers(queued) { #expect(throws: Lost.self) { try answer.get() } }
        #expect(database.sent == [[1], [2, 3]])
    }

    @Test func aStatementCarriesTheLeastTimeLeftOfItsSubmissions() async throws {
        let database = Database()
        let batcher = database.batcher(inFlight: 1)
        let first = try await Self.heldFirst(in: batcher, database)
        let later = try await Self.queue([2], in: batcher, deadline: .seconds(60))
        let sooner = try await Self.queue([3], in: batcher, deadline: .seconds(20))
        let none = try await Self.queue([4], in: batcher)
        database.release()
        _ = try await first.value
        #expect(await Self.answers(later + sooner + none).map { try? $0.get() } == [20, 30, 40])
        #expect(database.sent == [[1], [2, 3, 4]])
        let left = try #require(database.deadlines.last ?? nil)
        #expect(left > 15_000 && left <= 20_000, "the batch's deadline is its soonest: \(left) ms")
    }

    @Test func aSubmissionWhoseDeadlinePassesWhileQueuedIsNeverSentAndIsToldNothingWasRecorded() async throws {
        let database = Database()
        let batcher = database.batcher(inFlight: 1)
        let first = try await Self.heldFirst(in: batcher, database)
        let hasty = try await Self.queue([2], in: batcher, deadline: .milliseconds(300))
        let patient = try await Self.queue([3], in: batcher, deadline: .seconds(60))
        try await Task.sleep(for: .milliseconds(600))
        database.release()
        _ = try await first.value
        let answers = await Self.answers(hasty + patient)
        #expect(throws: PortalUnavailable.nothingRecorded) { try answers[0].get() }
        #expect(try answers[1].get() == 30)
        #expect(database.sent == [[1], [3]])
    }

    @Test func aCancelledSubmissionLeavesTheQueueUnsent() async throws {
        let database = Database()
        let batcher = database.batcher(inFlight: 1)
        let first = try await Self.heldFirst(in: batcher, database)
        let undeadlined = try await Self.queue([2], in: batcher)
        let deadlined = try await Self.queue([3], in: batcher, deadline: .seconds(60))
        let kept = try await Self.queue([4], in: batcher)
        undeadlined[0].cancel()
        deadlined[0].cancel()
        #expect(batcher.queued == 1)
        await #expect(throws: CancellationError.self) { try await undeadlined[0].value }
        // Under a deadline, the answer to the person says what happened: nothing was recorded.
        await #expect(throws: PortalUnavailable.nothingRecorded) { try await deadlined[0].value }
        database.release()
        _ = try await first.value
        #expect(try await kept[0].value == 40)
        #expect(database.sent == [[1], [4]])
    }

    /// A statement whose server stopped answering holds up the queue for `patience` at most: then another flight
    /// takes it. Flights that hang count against `maximumFlights`, past which the queue waits for one to come back.
    @Test func aStatementThatHangsHoldsUpTheQueueOnlyForThePatience() async throws {
        let database = Database()
        let batcher = database.batcher(inFlight: 1, patience: .milliseconds(100), flights: 2)
        database.hang(1)
        let started = ContinuousClock.now
        let hung = Task { try await batcher.submit(1) }
        try await database.untilHeld(1)
        // 2 waits behind the hung statement, until the patience runs out (counted from before 1 was sent).
        let behind = try await Self.queue([2], in: batcher)
        #expect(try await behind[0].value == 20)
        let waited = started.duration(to: .now)
        #expect(waited >= .milliseconds(100), "it went before the patience ran out: \(waited)")
        // The hung one no longer counts against the one statement allowed out: the next goes at once.
        #expect(try await batcher.submit(3) == 30)

        // A second flight hangs: two in all, the most allowed. What comes now waits for one of them.
        database.hang(4)
        let alsoHung = Task { try await batcher.submit(4) }
        try await database.untilHeld(2)
        let stuck = try await Self.queue([5], in: batcher)
        try await Task.sleep(for: .milliseconds(300))
        #expect(batcher.queued == 1)
        #expect(database.sent == [[1], [2], [3], [4]])
        database.release()
        #expect(try await hung.value == 10)
        #expect(try await alsoHung.value == 40)
        #expect(try await stuck[0].value == 50)
        #expect(database.sent.last == [5])
    }

    /// A statement that answered, however badly, may have recorded: past the deadline its submissions are told what
    /// went wrong, never that nothing was recorded.
    @Test func aStatementThatAnsweredBadlyIsNeverCalledUnrecorded() async throws {
        let database = Database()
        let batcher = database.batcher(inFlight: 1)
        let first = try await Self.heldFirst(in: batcher, database)
        let queued = try await Self.queue([2, 3], in: batcher, deadline: .milliseconds(400))
        // The statement holding 2 and 3 is held past their deadline, then answered with one answer too few.
        database.hang(2)
        database.garble(2)
        database.release()
        _ = try await first.value
        try await database.untilHeld(1)
        try await Task.sleep(for: .milliseconds(600))
        database.release()
        for answer in await Self.answers(queued) {
            #expect(throws: UnexpectedPortalState.self) { try answer.get() }
        }
        #expect(database.sent == [[1], [2, 3]])
    }

    /// A submission without a deadline that shared a statement with one whose deadline cut it short is sent again,
    /// alone: another's deadline is no reason to fail it.
    @Test func aSubmissionWithoutADeadlineIsNotFailedByAnothersDeadline() async throws {
        let database = Database()
        let batcher = database.batcher(inFlight: 1)
        let first = try await Self.heldFirst(in: batcher, database)
        let hasty = try await Self.queue([2], in: batcher, deadline: .seconds(1))
        let patient = try await Self.queue([3], in: batcher)
        // The statement holding 2 and 3 is held past 2's deadline, then lost; 3 alone is not.
        database.hang(2)
        database.lose(2)
        database.release()
        _ = try await first.value
        try await database.untilHeld(1)
        try await Task.sleep(for: .milliseconds(1200))
        database.release()
        await #expect(throws: PortalUnavailable.nothingRecorded) { try await hasty[0].value }
        #expect(try await patient[0].value == 30)
        #expect(database.sent == [[1], [2, 3], [3]])
    }
}
