import PostgresNIO
import QueryGateCore

/// Decisions on requests: `RequestWorkflow` judges, this applies its verdict in the caller's transaction, with its
/// audit row, the approval message's update and the requester's direct message.
extension PortalStore {
    /// Approves a pending request if `decider` may. A request that needs several approvals (`ApprovalQuorum`)
    /// records this one and stays pending until the last; of any number of simultaneous clicks, each person counts
    /// once and exactly one moves the request; the others learn its real state.
    public func approve(requestID: Int, by decider: User, via source: AuditSource) async throws -> DecisionOutcome {
        try await decide(.approve, requestID: requestID, by: decider, via: source)
    }

    /// Rejects a pending request with a reason (required), if `decider` may.
    public func reject(requestID: Int, reason: String, by decider: User, via source: AuditSource) async throws -> DecisionOutcome {
        try await decide(.reject(reason: try RequestWorkflow.rejectionReason(reason)), requestID: requestID, by: decider, via: source)
    }

    /// Withdraws a pending request; only its requester may.
    public func cancel(requestID: Int, by requester: User, via source: AuditSource) async throws -> DecisionOutcome {
        try await decide(.cancel, requestID: requestID, by: requester, via: source)
    }

    /// Whether `user` may approve or reject the request now, without deciding: the Reject button asks before it
    /// opens the form for the reason. `nil` means yes. Every answer is audited, as every click is: a refusal like a
    /// refused decision, a decided request as a lost decision, a yes as `request.rejection_started`.
    public func checkDecision(requestID: Int, by user: User, via source: AuditSource) async throws -> DecisionOutcome? {
        let logger = self.logger
        let actor = AuditActor(userID: user.id, label: user.email, source: source)
        // The reason is asked for next; the rules do not depend on it.
        let decision = Decision.reject(reason: "")
        return try await transaction { connection in
            let facts = try await Self.decisionFacts(of: requestID, on: connection, logger: logger)
            switch RequestWorkflow.judge(decision, by: user, on: facts) {
            case .refuse(let why, let answer):
                try await Self.auditRefusal(of: decision, requestID: requestID, why: why, actor: actor, on: connection, logger: logger)
                return answer
            case .tooLate(let status):
                try await Self.auditLostDecision(requestID: requestID, decision: decision, status: status, actor: actor, on: connection, logger: logger)
                return .alreadyDecided(status)
            case .proceed, .recordApproval:
                try await Self.appendAudit(
                    AuditEntry(actor: actor, action: .rejectionStarted, entityType: "query_request", entityID: String(requestID), details: [:]),
                    on: connection, logger: logger)
                return nil
            }
        }
    }

    private func decide(_ decision: Decision, requestID: Int, by user: User, via source: AuditSource) async throws -> DecisionOutcome {
        let logger = self.logger
        let actor = AuditActor(userID: user.id, label: user.email, source: source)
        return try await transaction { connection in
            let facts = try await Self.decisionFacts(of: requestID, on: connection, logger: logger)
            let from: RequestStatus
            switch RequestWorkflow.judge(decision, by: user, on: facts) {
            case .refuse(let why, let answer):
                try await Self.auditRefusal(of: decision, requestID: requestID, why: why, actor: actor, on: connection, logger: logger)
                return answer
            case .tooLate(let status):
                try await Self.auditLostDecision(requestID: requestID, decision: decision, status: status, actor: actor, on: connection, logger: logger)
                return .alreadyDecided(status)
            case .recordApproval(let approvals, let required):
                try await Self.recordApproval(requestID: requestID, by: user, on: connection, logger: logger)
                try await Self.appendAudit(
                    AuditEntry(actor: actor, action: .approvalRecorded, entityType: "query_request", entityID: String(requestID),
                               details: ["approvals": "\(approvals) of \(required)"]),
                    on: connection, logger: logger)
                try await Self.enqueueApprovalUpdate(requestID: requestID, on: connection, logger: logger)
                return .approvalRecorded(approvals: approvals, required: required)
            case .proceed(let current, _):
                from = current
            }
            let to = decision.target
            let reason = decision.rejectionReason
            if decision == .approve { try await Self.recordApproval(requestID: requestID, by: user, on: connection, logger: logger) }

            // The one statement that decides: zero rows means someone else decided first.
            let updated = try await connection.query(
                """
                UPDATE query_requests SET
                    status = \(to.rawValue),
                    approved_by = CASE WHEN \(to.rawValue) = 'approved' THEN \(user.id) ELSE approved_by END,
                    approved_at = CASE WHEN \(to.rawValue) = 'approved' THEN now() ELSE approved_at END,
                    rejected_by = CASE WHEN \(to.rawValue) = 'rejected' THEN \(user.id) ELSE rejected_by END,
                    rejected_at = CASE WHEN \(to.rawValue) = 'rejected' THEN now() ELSE rejected_at END,
                    rejection_reason = CASE WHEN \(to.rawValue) = 'rejected' THEN \(reason) ELSE rejection_reason END,
                    cancelled_at = CASE WHEN \(to.rawValue) = 'cancelled' THEN now() ELSE cancelled_at END,
                    updated_at = now()
                WHERE id = \(requestID) AND status = \(from.rawValue)
                RETURNING id
                """,
                logger: logger
            ).decode(Int.self).first { _ in true }
            guard updated != nil else {
                let now = try await connection.query("SELECT status FROM query_requests WHERE id = \(requestID)", logger: logger)
                    .decode(String.self).first { _ in true }
                let status = now.flatMap(RequestStatus.init(rawValue:)) ?? from
                try await Self.auditLostDecision(requestID: requestID, decision: decision, status: status, actor: actor, on: connection, logger: logger)
                return .alreadyDecided(status)
            }

            var details: [String: String] = [:]
            details["reason"] = reason
            try await Self.appendAudit(
                AuditEntry(actor: actor, action: decision.auditAction, entityType: "query_request", entityID: String(requestID), details: details),
                on: connection, logger: logger)
            try await Self.enqueueApprovalUpdate(requestID: requestID, on: connection, logger: logger)
            if to == .approved {
                try await connection.query("SELECT pg_notify(\(Self.executorChannel), \(String(requestID)))", logger: logger)
            }
            try await Self.enqueueDirectMessage(requestID: requestID, event: decision.event, on: connection, logger: logger)
            return .decided(to)
        }
    }

    /// What `RequestWorkflow` judges a decision on; `nil` when there is no such request.
    ///
    /// It locks the request's row until the caller's transaction ends, so that decisions on one request are taken
    /// one after the other: the second of two simultaneous approvals then counts the first. The approvals are read
    /// by a statement of their own, after the lock is held: under READ COMMITTED a new statement sees what the
    /// transaction it waited for committed, where the locking statement's own subqueries would not.
    static func decisionFacts(of requestID: Int, on connection: PostgresConnection, logger: Logger) async throws -> DecisionFacts? {
        let found = try await connection.query(
            """
            SELECT r.requester_id, r.pod_id, r.status, u.email, p.name, r.approvals_required::int
            FROM query_requests r JOIN users u ON u.id = r.requester_id JOIN pods p ON p.id = r.pod_id
            WHERE r.id = \(requestID)
            FOR UPDATE OF r
            """, logger: logger
        ).decode((Int, Int, String, String, String, Int).self).first { _ in true }
        guard let (requesterID, podID, status, requesterEmail, podName, approvalsRequired) = found else { return nil }
        let approverIDs = try await connection.query(
            "SELECT approver_id FROM request_approvals WHERE request_id = \(requestID) ORDER BY approved_at, approver_id", logger: logger
        ).decode(Int.self).reduce(into: [Int]()) { $0.append($1) }
        return DecisionFacts(requesterID: requesterID, requesterEmail: requesterEmail, podID: podID, podName: podName,
                             status: try RequestStatus(portalValue: status, column: "query_requests.status"),
                             approvalsRequired: approvalsRequired, approverIDs: approverIDs)
    }

    /// One approval, once per person (the key); the verdict was judged under the request's row lock, so a second
    /// row for the same person cannot arrive here.
    private static func recordApproval(requestID: Int, by user: User, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "INSERT INTO request_approvals (request_id, approver_id) VALUES (\(requestID), \(user.id))", logger: logger)
    }

    /// Every refusal is audited in the caller's transaction, with the real reason (also when the caller is told less).
    private static func auditRefusal(
        of decision: Decision, requestID: Int, why: String, actor: AuditActor, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await appendAudit(
            AuditEntry(actor: actor, action: decision.refusalAuditAction, entityType: "query_request", entityID: String(requestID),
                       details: ["why": why]),
            on: connection, logger: logger)
    }

    /// A decision that came too late (someone else decided first, or the message was old): audited with the state
    /// the request really is in, so that the log has one row per click.
    private static func auditLostDecision(
        requestID: Int, decision: Decision, status: RequestStatus, actor: AuditActor, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await appendAudit(
            AuditEntry(actor: actor, action: .decisionLost, entityType: "query_request", entityID: String(requestID),
                       details: ["decision": decision.target.rawValue, "status": status.rawValue]),
            on: connection, logger: logger)
    }
}
