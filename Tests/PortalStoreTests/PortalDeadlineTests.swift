@testable import PortalStore
import Synchronization
import Testing

/// `PortalDeadline.answer`: each way work can end against its deadline gets its own answer, and none waits for
/// work that ignores cancellation. Small budgets (100 ms, 50 ms of grace) keep the suite short.
@Suite("Answering against a deadline")
struct PortalDeadlineTests {
    static let budget = PortalDeadline.Budget(time: .milliseconds(100), grace: .milliseconds(50))

    @Test func workThatFinishesInTimeIsTheAnswer() async throws {
        let answer = try await PortalDeadline.answer(within: Self.budget) {
            #expect(PortalDeadline.current != nil)
            return 42
        }
        #expect(answer == 42)
    }

    @Test func workThatFailsPastTheDeadlineWithNothingCommittedRecordedNothing() async throws {
        await #expect(throws: PortalUnavailable.nothingRecorded) {
            try await PortalDeadline.answer(within: Self.budget) { () async throws -> Int in
                try await Task.sleep(for: .seconds(10))  // cancelled at the deadline
                return 1
            }
        }
    }

    @Test func workThatCommittedAndThenHangsWasPartlyRecorded() async throws {
        await #expect(throws: PortalUnavailable.partlyRecorded) {
            try await PortalDeadline.answer(within: Self.budget) { () async throws -> Int in
                PortalDeadline.current?.recordCommit()
                try await Task.sleep(for: .seconds(10))
                return 1
            }
        }
    }

    /// A COMMIT sent to a server that stopped answering ignores cancellation: the answer does not wait for it.
    @Test(.timeLimit(.minutes(1)))
    func workThatIgnoresCancellationHasAnUnknownOutcomeAfterTheGrace() async throws {
        let released = Atomic<Bool>(false)
        let started = ContinuousClock.now
        await #expect(throws: PortalUnavailable.outcomeUnknown) {
            try await PortalDeadline.answer(within: Self.budget) { () async throws -> Int in
                while !released.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(10)) }
                return 1
            }
        }
        let waited = started.duration(to: .now)
        released.store(true, ordering: .relaxed)
        #expect(waited >= .milliseconds(150), "answered before the deadline and its grace: \(waited)")
        #expect(waited < .seconds(5), "waited for work that ignores cancellation: \(waited)")
    }

    @Test func cancellingTheCallerCancelsTheWork() async throws {
        let cancelled = Atomic<Bool>(false)
        let caller = Task {
            try await PortalDeadline.answer(within: PortalDeadline.Budget(time: .seconds(30), grace: .seconds(1))) { () async throws -> Int in
                do {
                    try await Task.sleep(for: .seconds(30))
                } catch {
                    cancelled.store(true, ordering: .relaxed)
                    throw error
                }
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        caller.cancel()
        _ = await caller.result
        for _ in 0..<100 where !cancelled.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(10)) }
        let workWasCancelled = cancelled.load(ordering: .relaxed)
        #expect(workWasCancelled)
    }
}
