import PostgresNIO
import QueryGateCore

extension PortalStore {
    /// Approves a pending request if `decider` may, as one conditional update: of any number of simultaneous
    /// clicks exactly one wins; the others learn the request's real state.
    public func approve(requestID: Int, by decider: User, via source: AuditSource) async throws -> DecisionOutcome {
        try await decide(requestID: requestID, by: decider, via: source, to: .approved, reason: nil)
    }

    /// Rejects a pending request with a reason (required), if `decider` may.
    public func reject(requestID: Int, reason: String, by decider: User, via source: AuditSource) async throws -> DecisionOutcome {
        let reason = reason.trimmingSpaces()
        guard !reason.isEmpty else { throw ValidationError(field: "reason", "say why the request is rejected: the requester reads it") }
        guard reason.count <= NewRequest.maximumReasonLength else {
            throw ValidationError(field: "reason", "the reason is \(reason.count) characters long; the limit is \(NewRequest.maximumReasonLength)")
        }
        return try await decide(requestID: requestID, by: decider, via: source, to: .rejected, reason: reason)
    }

    /// Withdraws a pending request; only its requester may.
    public func cancel(requestID: Int, by requester: User, via source: AuditSource) async throws -> DecisionOutcome {
        try await decide(requestID: requestID, by: requester, via: source, to: .cancelled, reason: nil)
    }

    /// Whether `user` may approve or reject the request now, without deciding: the Reject button asks before it
    /// opens the form for the reason. `nil` means yes. Every answer is audited, as every click is: a refusal like a
    /// refused decision, a decided request as a lost decision, a yes as `request.rejection_started`.
    public func checkDecision(requestID: Int, by user: User, via source: AuditSource) async throws -> DecisionOutcome? {
        let logger = self.logger
        let actor = AuditActor(userID: user.id, label: user.email, source: source)
        return try await transaction { connection in
            let checked = try await Self.check(requestID: requestID, by: user, deciding: .rejected, actor: actor, on: connection, logger: logger)
            guard case .allowed(let status) = checked else { return checked.outcome }
            guard status == .pending else {
                try await Self.auditLostDecision(requestID: requestID, decision: .rejected, status: status, actor: actor, on: connection, logger: logger)
                return .alreadyDecided(status)
            }
            try await Self.appendAudit(
                AuditEntry(actor: actor, action: "request.rejection_started", entityType: "query_request", entityID: String(requestID), details: [:]),
                on: connection, logger: logger)
            return nil
        }
    }

    private func decide(
        requestID: Int, by user: User, via source: AuditSource, to decision: RequestStatus, reason: String?
    ) async throws -> DecisionOutcome {
        let logger = self.logger
        let actor = AuditActor(userID: user.id, label: user.email, source: source)
        return try await transaction { connection in
            let checked = try await Self.check(requestID: requestID, by: user, deciding: decision, actor: actor, on: connection, logger: logger)
            guard case .allowed(let currentStatus) = checked else { return checked.outcome }

            // The one statement that decides: zero rows means someone else decided first.
            let updated = try await connection.query(
                """
                UPDATE query_requests SET
                    status = \(decision.rawValue),
                    approved_by = CASE WHEN \(decision.rawValue) = 'approved' THEN \(user.id) ELSE approved_by END,
                    approved_at = CASE WHEN \(decision.rawValue) = 'approved' THEN now() ELSE approved_at END,
                    rejected_by = CASE WHEN \(decision.rawValue) = 'rejected' THEN \(user.id) ELSE rejected_by END,
                    rejected_at = CASE WHEN \(decision.rawValue) = 'rejected' THEN now() ELSE rejected_at END,
                    rejection_reason = CASE WHEN \(decision.rawValue) = 'rejected' THEN \(reason) ELSE rejection_reason END,
                    cancelled_at = CASE WHEN \(decision.rawValue) = 'cancelled' THEN now() ELSE cancelled_at END,
                    updated_at = now()
                WHERE id = \(requestID) AND status = 'pending'
                RETURNING id
                """,
                logger: logger
            ).decode(Int.self).first { _ in true }
            guard updated != nil else {
                let now = try await connection.query("SELECT status FROM query_requests WHERE id = \(requestID)", logger: logger)
                    .decode(String.self).first { _ in true }
                let status = now.flatMap(RequestStatus.init(rawValue:)) ?? currentStatus
                try await Self.auditLostDecision(requestID: requestID, decision: decision, status: status, actor: actor, on: connection, logger: logger)
                return .alreadyDecided(status)
            }

            var details: [String: String] = [:]
            details["reason"] = reason
            try await Self.appendAudit(
                AuditEntry(actor: actor, action: "request.\(decision.rawValue)", entityType: "query_request", entityID: String(requestID),
                           details: details),
                on: connection, logger: logger)
            try await Self.enqueueApprovalUpdate(requestID: requestID, on: connection, logger: logger)
            if decision == .approved {
                try await connection.query("SELECT pg_notify(\(Self.executorChannel), \(String(requestID)))", logger: logger)
            }
            let event: RequestEvent = decision == .approved ? .approved : decision == .rejected ? .rejected : .cancelled
            try await Self.enqueueDirectMessage(requestID: requestID, event: event, on: connection, logger: logger)
            return .decided(decision)
        }
    }

    private enum Check {
        case allowed(RequestStatus)
        case stopped(DecisionOutcome)

        var outcome: DecisionOutcome {
            if case .stopped(let outcome) = self { return outcome }
            return .notFound
        }
    }

    /// Finds the request and applies the rules, in an order that keeps ids secret: first what depends on the caller
    /// alone (a deactivated account), then whether the caller may see the request at all (`RequestVisibility`: a
    /// request they may not see gets exactly the answer a missing one gets), then the approval policy. Every
    /// refusal is audited here, in the caller's transaction, with the real reason.
    private static func check(
        requestID: Int, by user: User, deciding decision: RequestStatus, actor: AuditActor, on connection: PostgresConnection, logger: Logger
    ) async throws -> Check {
        func refuse(_ why: String, answer: DecisionOutcome) async throws -> Check {
            try await appendAudit(
                AuditEntry(actor: actor, action: "request.\(verb(decision))_refused", entityType: "query_request",
                           entityID: String(requestID), details: ["why": why]),
                on: connection, logger: logger)
            return .stopped(answer)
        }
        guard user.isActive else {
            let why = ApprovalPolicy.Refusal.inactive.explanation
            return try await refuse(why, answer: .refused(why))
        }
        let found = try await connection.query(
            """
            SELECT r.requester_id, r.pod_id, r.status, u.email, p.name
            FROM query_requests r JOIN users u ON u.id = r.requester_id JOIN pods p ON p.id = r.pod_id
            WHERE r.id = \(requestID)
            """, logger: logger
        ).decode((Int, Int, String, String, String).self).first { _ in true }
        guard let (requesterID, podID, status, requesterEmail, podName) = found else {
            return try await refuse("no such request", answer: .notFound)
        }
        let refusal = refusal(of: user, deciding: decision, requesterID: requesterID, podID: podID)
        guard RequestVisibility.allows(user, requestBy: requesterEmail, inPod: podName) else {
            return try await refuse("may not see the request" + (refusal.map { "; \($0)" } ?? ""), answer: .notFound)
        }
        if let refusal { return try await refuse(refusal, answer: .refused(refusal)) }
        return .allowed(try RequestStatus(portalValue: status, column: "query_requests.status"))
    }

    /// A decision that came too late (someone else decided first, or the message was old): audited with the state
    /// the request really is in, so that the log has one row per click.
    private static func auditLostDecision(
        requestID: Int, decision: RequestStatus, status: RequestStatus, actor: AuditActor, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await appendAudit(
            AuditEntry(actor: actor, action: "request.decision_lost", entityType: "query_request", entityID: String(requestID),
                       details: ["decision": decision.rawValue, "status": status.rawValue]),
            on: connection, logger: logger)
    }

    /// `nil` when `user` may make `decision`; otherwise what to tell them.
    static func refusal(of user: User, deciding decision: RequestStatus, requesterID: Int, podID: Int) -> String? {
        if decision == .cancelled {
            guard user.isActive else { return ApprovalPolicy.Refusal.inactive.explanation }
            return user.id == requesterID ? nil : "only the person who made a request can cancel it"
        }
        return ApprovalPolicy.refusal(for: user.asDecider, requesterID: requesterID, podID: podID)?.explanation
    }

    static func verb(_ decision: RequestStatus) -> String {
        switch decision {
        case .approved: "approval"
        case .rejected: "rejection"
        default: "cancellation"
        }
    }
}
