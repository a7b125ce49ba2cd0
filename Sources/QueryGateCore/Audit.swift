/// The door an action came through, as recorded in `audit_logs.source`.
public enum AuditSource: String, Sendable, Codable {
    case cli, slack, api, system
}

/// Who did something, for the audit log. `userID` is the portal user when there is one; `label` always
/// says who it was in words an auditor can follow (`cli:root`, `slack:U0DEV0001`, `system`).
public struct AuditActor: Sendable, Equatable {
    public let userID: Int?
    public let label: String
    public let source: AuditSource

    public init(userID: Int?, label: String, source: AuditSource) {
        self.userID = userID
        self.label = label
        self.source = source
    }

    /// An operator at a shell, named by their operating-system account.
    public static func cli(osUser: String) -> AuditActor {
        AuditActor(userID: nil, label: "cli:\(osUser)", source: .cli)
    }

    public static let system = AuditActor(userID: nil, label: "system", source: .system)
}

/// Every action the audit log records, as `audit_logs.action` stores it (dotted: what, then what happened to it).
/// One list, so that what is written and what is read back (the sign-in throttle counts `auth.login_failed`) can
/// never drift apart.
public enum AuditAction: String, Sendable, CaseIterable, Codable {
    case loggedIn = "auth.login"
    case loginFailed = "auth.login_failed"
    case loggedOut = "auth.logout"
    case loggedOutEverywhere = "auth.logout_all"
    case refreshTokenReused = "auth.refresh_reuse"

    case podCreated = "pod.created"
    case podUpdated = "pod.updated"
    case userCreated = "user.created"
    case userActivated = "user.activated"
    case userDeactivated = "user.deactivated"
    case passwordSet = "user.password_set"
    case instanceCreated = "instance.created"
    case syncRequested = "instance.sync_requested"
    case databaseCreated = "database.created"
    case blacklistPatternAdded = "blacklist.added"
    case blacklistPatternRemoved = "blacklist.removed"

    case requestSubmitted = "request.submitted"
    /// The last approval a request needed: it is approved and runs.
    case requestApproved = "request.approved"
    /// One approval of several a request needs (`ApprovalQuorum`); it stays pending.
    case approvalRecorded = "request.approval_recorded"
    case requestRejected = "request.rejected"
    case requestCancelled = "request.cancelled"
    /// Nobody decided within the request's time to live, or it was approved and never started.
    case requestExpired = "request.expired"
    /// The approvers were reminded: before expiry by QueryGate, or nudged by the requester.
    case approversReminded = "request.reminded"
    case approvalRefused = "request.approval_refused"
    case rejectionRefused = "request.rejection_refused"
    case cancellationRefused = "request.cancellation_refused"
    /// A decision that came after another one (or on a request no longer pending).
    case decisionLost = "request.decision_lost"
    /// The Reject button opened the form for the reason.
    case rejectionStarted = "request.rejection_started"
    case executionStarted = "request.executing"
    case executionCompleted = "request.completed"
    case executionFailed = "request.failed"
    case executionInterrupted = "request.interrupted"
}
