/// A decision a person takes on a request: approve, reject (saying why) or cancel.
public enum Decision: Sendable, Equatable {
    case approve
    case reject(reason: String)
    case cancel

    /// The status the request moves to.
    public var target: RequestStatus {
        switch self {
        case .approve: .approved
        case .reject: .rejected
        case .cancel: .cancelled
        }
    }

    /// What the audit log records when the decision is taken, and when it is refused.
    public var auditAction: AuditAction {
        switch self {
        case .approve: .requestApproved
        case .reject: .requestRejected
        case .cancel: .requestCancelled
        }
    }

    public var refusalAuditAction: AuditAction {
        switch self {
        case .approve: .approvalRefused
        case .reject: .rejectionRefused
        case .cancel: .cancellationRefused
        }
    }

    /// Why the requester gets a direct message about it.
    public var event: RequestEvent {
        switch self {
        case .approve: .approved
        case .reject: .rejected
        case .cancel: .cancelled
        }
    }

    public var rejectionReason: String? {
        if case .reject(let reason) = self { return reason }
        return nil
    }
}

/// The facts about a request that a decision is judged on, as the store reads them in the deciding transaction.
public struct DecisionFacts: Sendable, Equatable {
    public let requesterID: Int
    public let requesterEmail: String
    public let podID: Int
    public let podName: String
    public let status: RequestStatus
    /// How many distinct people must approve it (`ApprovalQuorum`, copied onto the request when it was made).
    public let approvalsRequired: Int
    /// Who has approved it so far, in order.
    public let approverIDs: [Int]

    public init(
        requesterID: Int, requesterEmail: String, podID: Int, podName: String, status: RequestStatus,
        approvalsRequired: Int = 1, approverIDs: [Int] = []
    ) {
        self.requesterID = requesterID
        self.requesterEmail = requesterEmail
        self.podID = podID
        self.podName = podName
        self.status = status
        self.approvalsRequired = approvalsRequired
        self.approverIDs = approverIDs
    }
}

/// The rules of deciding on a request, in one place; the store applies a verdict in one transaction, holding the
/// request's row lock from reading the facts to the conditional update (`from` → `to`), which settles simultaneous
/// clicks: of any number, exactly one moves the request, and each approval is counted once.
public enum RequestWorkflow {
    public enum Verdict: Sendable, Equatable {
        /// Move the request `from` → `to`, audit `decision.auditAction`, update the approval message, tell the requester.
        case proceed(from: RequestStatus, to: RequestStatus)
        /// An approval that does not complete the quorum yet: record it (the `approvals`-th of `required`), audit
        /// `.approvalRecorded`, update the approval message; the request stays pending.
        case recordApproval(approvals: Int, required: Int)
        /// Refused: audit `decision.refusalAuditAction` with `why` (the real reason, also when the caller is told
        /// less), and answer `answer`.
        case refuse(why: String, answer: DecisionOutcome)
        /// The request is no longer in a state this decision applies to: audit `.decisionLost`, answer `.alreadyDecided`.
        case tooLate(RequestStatus)
    }

    /// Judges `decision` by `user` on the request (`nil`: there is none), in an order that keeps ids secret: first
    /// what depends on the caller alone (a deactivated account), then whether the caller may see the request at all
    /// (`RequestVisibility`: a request they may not see gets exactly the answer a missing one gets), then who may
    /// decide, then the request's state.
    public static func judge(_ decision: Decision, by user: User, on request: DecisionFacts?) -> Verdict {
        guard user.isActive else {
            let why = ApprovalPolicy.Refusal.inactive.explanation
            return .refuse(why: why, answer: .refused(why))
        }
        guard let request else { return .refuse(why: "no such request", answer: .notFound) }
        let refusal = refusal(of: user, deciding: decision, on: request)
        guard RequestVisibility.allows(user, requestBy: request.requesterEmail, inPod: request.podName) else {
            return .refuse(why: "may not see the request" + (refusal.map { "; \($0)" } ?? ""), answer: .notFound)
        }
        if let refusal { return .refuse(why: refusal, answer: .refused(refusal)) }
        guard request.status.canMove(to: decision.target) else { return .tooLate(request.status) }
        guard decision == .approve else { return .proceed(from: request.status, to: decision.target) }

        // Several approvals: the same person counts once, and the last one needed moves the request.
        let missing = request.approvalsRequired - request.approverIDs.count
        if request.approverIDs.contains(user.id) {
            let why = "you have already approved this request; it needs \(missing) more \(missing == 1 ? "approval" : "approvals") from someone else"
            return .refuse(why: why, answer: .refused(why))
        }
        guard missing <= 1 else { return .recordApproval(approvals: request.approverIDs.count + 1, required: request.approvalsRequired) }
        return .proceed(from: request.status, to: decision.target)
    }

    /// `nil` when `user` may take `decision`; otherwise what to tell them. Only the requester cancels; the pod's
    /// managers and the admins approve and reject, never their own request (`ApprovalPolicy`).
    static func refusal(of user: User, deciding decision: Decision, on request: DecisionFacts) -> String? {
        if decision == .cancel {
            return user.id == request.requesterID ? nil : "only the person who made a request can cancel it"
        }
        return ApprovalPolicy.refusal(for: user.asDecider, requesterID: request.requesterID, podID: request.podID)?.explanation
    }

    /// Whether `request` waits for a decision of `user`, for their inbox (the Home tab): it is pending, they may
    /// see it (`RequestVisibility`: their pod's, or any for an admin), they approve requests at all and not their own
    /// (`ApprovalPolicy`), and they have not approved it already.
    public static func awaitsDecision(of user: User, on request: RequestDetails) -> Bool {
        request.status == .pending && decidesAny(user) && request.requester.email != user.email
            && RequestVisibility.allows(user, toSee: request) && !request.approvals.contains { $0.email == user.email }
    }

    /// Whether any request can wait for a decision of `user`: an active manager or admin. A store need not look
    /// for the requests of anyone else.
    public static func decidesAny(_ user: User) -> Bool {
        user.isActive && user.role != .developer
    }

    /// The reason of a rejection, trimmed; the requester reads it, so it must say something.
    /// - Throws: `ValidationError` (field `reason`) when it is empty or too long.
    public static func rejectionReason(_ text: String) throws(ValidationError) -> String {
        let reason = text.trimmingSpaces()
        guard !reason.isEmpty else { throw ValidationError(field: "reason", "say why the request is rejected: the requester reads it") }
        guard reason.count <= NewRequest.maximumReasonLength else {
            throw ValidationError(field: "reason", "the reason is \(reason.count) characters, longer than \(NewRequest.maximumReasonLength) (the limit)")
        }
        return reason
    }
}
