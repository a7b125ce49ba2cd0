import Foundation
import PortalStore
import Testing

/// `withDeadline`, which every worker wraps its portal-database calls in: what the caller is told.
@Suite("A deadline on a piece of work")
struct DeadlineTests {
    struct Refused: Error, Equatable {}

    /// Work that ends as soon as it is cancelled races the deadline's own outcome: the caller must learn of the
    /// deadline (its log says what did not finish, and within how long), never of a cancellation nobody asked for.
    /// The work's cancellation handler holds up whoever cancels it for a moment, while the work itself ends at once
    /// (its sleep is cancelled too): a deadline that cancelled before it answered would lose that race every time.
    @Test(.timeLimit(.minutes(10)))
    func workThatOutlivesItsDeadlineIsReportedAsTheDeadlineEveryTime() async throws {
        for _ in 0..<20 {
            do {
                try await withDeadline(.milliseconds(5), "sweeping") {
                    try await withTaskCancellationHandler {
                        try await Task.sleep(for: .seconds(60))
                    } onCancel: {
                        usleep(50_000)
                    }
                }
                Issue.record("the work outlived its deadline and returned")
            } catch let error as DeadlineExceeded {
                #expect(error.description == "sweeping did not finish within 0.005 seconds")
            } catch {
                Issue.record("the caller was told \(error), not of the deadline")
                return
            }
        }
    }

    @Test func workThatEndsInTimeGivesItsOwnOutcome() async throws {
        #expect(try await withDeadline(.seconds(30), "adding") { 1 + 1 } == 2)
        await #expect(throws: Refused()) { try await withDeadline(.seconds(30), "refusing") { throw Refused() } }
    }
}
