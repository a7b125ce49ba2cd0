import Foundation

/// When a request stops waiting, and when its approvers are reminded: the rule `PortalStore` writes as the WHERE
/// clauses of `expireOverdueRequests` and `remindWaitingRequests` (which find the due requests among thousands in
/// one statement), and the tests' twin applies as it is. `ExpirySweepContractTests` keep the two alike.
public enum RequestDeadlines {
    /// The time to live of a pod's requests: its own (`pods.request_ttl_seconds`), else QueryGate's default
    /// (`QUERYGATE_REQUEST_TTL`); nil: its requests never expire.
    public static func timeToLive(podSeconds: Int?, default defaultTTL: Duration?) -> Duration? {
        podSeconds.map { .seconds($0) } ?? defaultTTL
    }

    /// The times to live that requests may have (QueryGate's default, or a pod's own): from a minute
    /// to 90 days.
    public static let allowedTimeToLive: ClosedRange<Duration> = .seconds(60)...(.seconds(90 * 86_400))

    /// A pod's own time to live as it is stored, in whole seconds (`nil`: back to QueryGate's default).
    /// - Throws: `ValidationError` (field `request-ttl`) outside `allowedTimeToLive`.
    public static func podTimeToLiveSeconds(_ ttl: Duration?) throws(ValidationError) -> Int? {
        guard let ttl else { return nil }
        guard allowedTimeToLive.contains(ttl) else {
            throw ValidationError(field: "request-ttl", "a request's time to live is from 1m to 90d")
        }
        return Int(ttl.components.seconds)
    }

    /// When a request in `status` expires: a pending one a time to live after it was made, an approved one that
    /// never started (no executor ran it) a time to live after its approval; nil for every other state, and
    /// without a time to live.
    public static func expiresAt(_ status: RequestStatus, createdAt: Date, approvedAt: Date?, timeToLive: Duration?) -> Date? {
        guard let timeToLive, status.canMove(to: .expired) else { return nil }
        let from = status == .approved ? approvedAt ?? createdAt : createdAt
        return from.addingTimeInterval(timeToLive.timeInterval)
    }

    /// When the approvers of a pending request are reminded, once: `percent`% of the way through its time to live.
    /// Nil without a time to live, or for a percentage outside 1...99 (reminders off).
    public static func reminderAt(createdAt: Date, timeToLive: Duration?, percent: Int) -> Date? {
        guard let timeToLive, (1...99).contains(percent) else { return nil }
        return createdAt.addingTimeInterval(timeToLive.timeInterval * Double(percent) / 100)
    }

    /// Whether a pending request's approvers are due their reminder at `now`: past `reminderAt`, and not yet past
    /// its expiry. One that is overdue (no sweep ran for a while: every replica was down) is expired, not reminded:
    /// a reminder naming an expiry already past would only mislead its approvers, and the expiry follows at once.
    public static func isReminderDue(createdAt: Date, timeToLive: Duration?, percent: Int, now: Date) -> Bool {
        guard let remindAt = reminderAt(createdAt: createdAt, timeToLive: timeToLive, percent: percent),
              let expiresAt = expiresAt(.pending, createdAt: createdAt, approvedAt: nil, timeToLive: timeToLive)
        else { return false }
        return remindAt < now && now < expiresAt
    }
}
