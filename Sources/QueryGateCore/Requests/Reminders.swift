import Foundation

/// When approvers are reminded of a request that waits: once by QueryGate, a share of the way through its time to
/// live, and whenever its requester nudges them, at most once an hour.
public enum Reminders {
    /// How long a requester waits between two nudges.
    public static let nudgeInterval: Duration = .seconds(3600)

    /// What a requester's `/query remind N` does.
    public enum NudgeVerdict: Sendable, Equatable {
        case remind
        /// Only the requester nudges; anyone else is told what a missing request would say if they may not see it.
        case refuse(String)
        case notFound
        /// The request is no longer waiting for a decision.
        case notPending(RequestStatus)
        /// The last nudge was under an hour ago; the next may come at `nextAt`.
        case tooSoon(nextAt: Date)
    }

    public static func judgeNudge(by user: User, on request: DecisionFacts?, lastNudgedAt: Date?, now: Date) -> NudgeVerdict {
        guard let request, RequestVisibility.allows(user, requestBy: request.requesterEmail, inPod: request.podName) else { return .notFound }
        guard user.id == request.requesterID else { return .refuse("only the person who made a request can remind its approvers") }
        guard request.status == .pending else { return .notPending(request.status) }
        if let last = lastNudgedAt {
            let next = last.addingTimeInterval(Double(nudgeInterval.components.seconds))
            if next > now { return .tooSoon(nextAt: next) }
        }
        return .remind
    }
}
