import QueryGateCore
import Testing

@Suite("Request lifecycle")
struct RequestStatusTests {
    @Test func onlyPendingRequestsCanBeDecided() {
        for decision in [RequestStatus.approved, .rejected, .cancelled] {
            #expect(RequestStatus.pending.canMove(to: decision))
            for other in RequestStatus.allCases where other != .pending {
                #expect(!other.canMove(to: decision), "\(other) -> \(decision)")
            }
        }
    }

    @Test func onlyRequestsThatHaveNotStartedExpire() {
        #expect(RequestStatus.allCases.filter { $0.canMove(to: .expired) } == [.pending, .approved])
    }

    @Test func executionFollowsApprovalAndEndsOnce() {
        #expect(RequestStatus.approved.successors == [.executing, .expired])
        #expect(RequestStatus.executing.successors == [.completed, .failed])
        #expect(!RequestStatus.pending.canMove(to: .executing))
    }

    @Test func finalStatesHaveNoSuccessors() {
        for status in RequestStatus.allCases {
            #expect(status.isFinal == status.successors.isEmpty, "\(status)")
        }
    }
}
