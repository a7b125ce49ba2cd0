import Foundation
import PostgresNIO
import QueryGateCore

/// Decisions on requests: `RequestWorkflow` judges, this applies its verdict in the caller's transaction, with its
/// audit row, the approval message's update and the requester's direct message.
extension PortalStore {
    /// Approves a pending request if `decider` may. A request that needs several approvals (`ApprovalQuorum`)
    /// records this one and stays pending until the last; of any number of simultaneous clicks, each person counts
    /// once and exactly one moves the request; the others learn its real state. `known`: the request's facts as
    /// `decisionContext` read them with the clicker, which saves reading them again.
    public func approve(requestID: Int, by decider: User, via source: AuditSource, knowing known: DecisionFacts? = nil) async throws -> DecisionOutcome {
        try await decide(.approve, requestID: requestID, by: decider, via: source, knowing: known)
    }

    /// Rejects a pending request with a reason (required), if `decider` may.
    public func reject(requestID: Int, reason: String, by decider: User, via source: AuditSource) async throws -> DecisionOutcome {
        try await decide(.reject(reason: try RequestWorkflow.rejectionReason(reason)), requestID: requestID, by: decider, via: source)
    }

    /// Withdraws a pending request; only its requester may.
    public func cancel(requestID: Int, by requester: User, via source: AuditSource) async throws -> DecisionOutcome {
        try await decide(.cancel, requestID: requestID, by: requester, via: source)
    }

    /// The portal user behind a Slack account and the facts of the request they clicked on, in one round trip
    /// (`nil`s: no such user, no such request).
    public func decisionContext(slackUserID: String, requestID: Int) async throws -> (user: User?, facts: DecisionFacts?) {
        let rows = try await client.query(
            """
            SELECT u.id, u.email, u.name, u.role, u.pod_id, up.name, u.slack_user_id, u.is_active, \(unescaped: Self.factsColumns)
            FROM (SELECT 1) AS one
            LEFT JOIN users u ON u.slack_user_id = \(slackUserID) LEFT JOIN pods up ON up.id = u.pod_id
            LEFT JOIN query_requests r ON r.id = \(requestID) LEFT JOIN users ru ON ru.id = r.requester_id LEFT JOIN pods rp ON rp.id = r.pod_id
            """, logger: logger)
        for try await row in rows {
            let cells = row.makeRandomAccess()
            var user: User?
            if let id = try cells[0].decode(Int?.self, context: .default) {
                user = User(
                    id: id, email: try cells[1].decode(String.self, context: .default), name: try cells[2].decode(String.self, context: .default),
                    role: try Role(portalValue: try cells[3].decode(String.self, context: .default), column: "users.role"),
                    podID: try cells[4].decode(Int?.self, context: .default), podName: try cells[5].decode(String?.self, context: .default),
                    slackUserID: try cells[6].decode(String?.self, context: .default), isActive: try cells[7].decode(Bool.self, context: .default))
            }
            return (user, try Self.facts(cells, from: 8))
        }
        return (nil, nil)
    }

    /// The columns `facts(_:from:)` reads, over `query_requests r`, its requester `ru` and its pod `rp`.
    static let factsColumns = """
        r.requester_id, r.pod_id, r.status, ru.email, rp.name, r.approvals_required::int,
        (SELECT coalesce(array_agg(g.approver_id ORDER BY g.approved_at, g.approver_id), '{}') FROM request_approvals g WHERE g.request_id = r.id)
        """

    static func facts(_ cells: PostgresRandomAccessRow, from first: Int) throws -> DecisionFacts? {
        func cell<T: PostgresDecodable>(_ offset: Int, _: T.Type = T.self) throws -> T {
            try cells[first + offset].decode(T.self, context: .default)
        }
        guard let requesterID = try cell(0, Int?.self) else { return nil }
        return DecisionFacts(
            requesterID: requesterID, requesterEmail: try cell(3), podID: try cell(1), podName: try cell(4),
            status: try RequestStatus(portalValue: try cell(2), column: "query_requests.status"),
            approvalsRequired: try cell(5), approverIDs: try cell(6))
    }

    /// What `RequestWorkflow` judges a decision on, read in one statement without a lock; `nil`: no such request.
    func decisionFacts(of requestID: Int) async throws -> DecisionFacts? {
        let rows = try await client.query(Self.factsQuery(requestID), logger: logger)
        for try await row in rows { return try Self.facts(row.makeRandomAccess(), from: 0) }
        return nil
    }

    private static func factsQuery(_ requestID: Int) -> PostgresQuery {
        """
        SELECT \(unescaped: factsColumns)
        FROM query_requests r JOIN users ru ON ru.id = r.requester_id JOIN pods rp ON rp.id = r.pod_id
        WHERE r.id = \(requestID)
        """
    }

    /// Whether `user` may approve or reject the request now, without deciding: the Reject button asks before it
    /// opens the form for the reason. `nil` means yes. Every answer is audited, as every click is: a refusal like a
    /// refused decision, a decided request as a lost decision, a yes as `request.rejection_started`.
    public func checkDecision(
        requestID: Int, by user: User, via source: AuditSource, knowing known: DecisionFacts? = nil
    ) async throws -> DecisionOutcome? {
        let actor = AuditActor(userID: user.id, label: user.email, source: source)
        // The reason is asked for next; the rules do not depend on it. Nothing changes but the audit log, so the
        // facts need no lock: the rejection itself is judged again when the form comes back.
        let decision = Decision.reject(reason: "")
        var facts = known
        if facts == nil { facts = try await decisionFacts(of: requestID) }
        let verdict = RequestWorkflow.judge(decision, by: user, on: facts)
        if let answer = try await auditRefusal(verdict, of: decision, on: requestID, actor: actor) { return answer }
        try await auditInOneStatement(AuditEntry(actor: actor, action: .rejectionStarted, entityType: "query_request",
                                                 entityID: String(requestID), details: [:]))
        return nil
    }

    /// A verdict that refuses, or finds the request already decided, changes nothing but the audit log: its row
    /// (with the real reason, also when the caller is told less; with the state found, for a late click), and the
    /// caller's answer. Nil for a verdict that acts.
    private func auditRefusal(
        _ verdict: RequestWorkflow.Verdict, of decision: Decision, on requestID: Int, actor: AuditActor
    ) async throws -> DecisionOutcome? {
        switch verdict {
        case .refuse(let why, let answer):
            try await auditInOneStatement(AuditEntry(actor: actor, action: decision.refusalAuditAction, entityType: "query_request",
                                                     entityID: String(requestID), details: ["why": why]))
            return answer
        case .tooLate(let status):
            try await auditInOneStatement(Self.lostDecision(requestID: requestID, decision: decision, status: status, actor: actor))
            return .alreadyDecided(status)
        case .proceed, .recordApproval:
            return nil
        }
    }

    /// Judges `decision` on facts read without a lock (or `known`), and applies the verdict with
    /// `querygate_apply_decision` (migration 014), which does it only if those facts still hold: two round trips
    /// with the clicker's look-up. When another decision landed in between, the facts are read again and judged
    /// again. That ends: each retry follows a change of the request, and a request changes at most
    /// `ApprovalQuorum.allowed.upperBound` times (its approvals) plus once (its move) before no decision applies.
    private func decide(
        _ decision: Decision, requestID: Int, by user: User, via source: AuditSource, knowing known: DecisionFacts? = nil
    ) async throws -> DecisionOutcome {
        let actor = AuditActor(userID: user.id, label: user.email, source: source)
        var facts = known
        if facts == nil { facts = try await decisionFacts(of: requestID) }
        for _ in 0...(ApprovalQuorum.allowed.upperBound + 1) {
            let verdict = RequestWorkflow.judge(decision, by: user, on: facts)
            if let answer = try await auditRefusal(verdict, of: decision, on: requestID, actor: actor) { return answer }
            let applied: Bool
            let outcome: DecisionOutcome
            switch verdict {
            case .refuse, .tooLate:
                continue  // answered above
            case .recordApproval(let approvals, let required):
                applied = try await apply(decision, on: requestID, judgedOn: facts, recordingApproval: true, to: nil, action: .approvalRecorded,
                                          details: ["approvals": "\(approvals) of \(required)"], by: user, actor: actor)
                outcome = .approvalRecorded(approvals: approvals, required: required)
            case .proceed(_, let to):
                var details: [String: String] = [:]
                details["reason"] = decision.rejectionReason
                applied = try await apply(decision, on: requestID, judgedOn: facts, recordingApproval: decision == .approve, to: to,
                                          action: decision.auditAction, details: details, by: user, actor: actor)
                outcome = .decided(to)
            }
            if applied { return outcome }
            facts = try await decisionFacts(of: requestID)
        }
        throw UnexpectedPortalState("request \(requestID) kept changing while a decision on it was judged")
    }

    /// One call of `querygate_apply_decision`: false when the request is no longer as `facts` say (nothing done).
    private func apply(
        _ decision: Decision, on requestID: Int, judgedOn facts: DecisionFacts?, recordingApproval: Bool, to: RequestStatus?,
        action: AuditAction, details: [String: String], by user: User, actor: AuditActor
    ) async throws -> Bool {
        guard let facts else { throw UnexpectedPortalState("a verdict to apply on request \(requestID), which has no facts") }
        let json = String(decoding: try JSONEncoder.sorted.encode(details), as: UTF8.self)
        let logger = self.logger
        return try await inOneStatement(wrote: { $0 }) { millisecondsLeft in
            try await self.client.query(
                """
                SELECT querygate_apply_decision(
                    \(requestID), \(user.id), \(actor.label), \(actor.source.rawValue), \(facts.status.rawValue), \(facts.approverIDs),
                    \(recordingApproval), \(to?.rawValue), \(decision.rejectionReason), \(action.rawValue), \(json)::jsonb,
                    \(to == nil ? nil : decision.event.rawValue), \(Self.executorChannel), \(millisecondsLeft)::int)
                """, logger: logger
            ).decode(Bool.self).first { _ in true } ?? false
        }
    }

    /// What `RequestWorkflow` judges a decision on, for a transaction that acts on it (`nudgeApprovers`); `nil`
    /// when there is no such request.
    ///
    /// It locks the request's row until the caller's transaction ends, and only then reads the facts, in a statement
    /// of its own: under READ COMMITTED that statement sees what the transaction it waited for committed, where the
    /// locking statement's own subqueries would not.
    static func decisionFacts(of requestID: Int, on connection: PostgresConnection, logger: Logger) async throws -> DecisionFacts? {
        try await connection.query("SELECT 1 FROM query_requests WHERE id = \(requestID) FOR UPDATE", logger: logger).decode(Int.self)
            .reduce(()) { _, _ in }
        let rows = try await connection.query(factsQuery(requestID), logger: logger)
        for try await row in rows { return try facts(row.makeRandomAccess(), from: 0) }
        return nil
    }

    private static func lostDecision(requestID: Int, decision: Decision, status: RequestStatus, actor: AuditActor) -> AuditEntry {
        AuditEntry(actor: actor, action: .decisionLost, entityType: "query_request", entityID: String(requestID),
                   details: ["decision": decision.target.rawValue, "status": status.rawValue])
    }
}
