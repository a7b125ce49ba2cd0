import Foundation
import PostgresNIO
import QueryGateCore

extension PortalStore {
    /// Who the audit log names for an expiry.
    static let expiryActor = AuditActor(userID: nil, label: "system:expiry", source: .system)

    /// Expires every request still pending whose pod's time to live (or `defaultTTL`; `nil`: never) has passed
    /// since it was made, and every approved request that has not started within that time of its approval
    /// (no executor ran it): status `expired`, an audit row, the approval
    /// message updated in place (no buttons) and a direct message to the requester, each in the request's own
    /// transaction. A conditional update from the state it was read in, so a decision or a claim that lands first
    /// wins and an expiry never overwrites it; replicas sweeping together skip each other's rows. The WHERE clause
    /// is `RequestDeadlines.expiresAt` (and `timeToLive`), written in SQL to find the due rows in one statement.
    ///
    /// - Returns: the ids expired, at most `limit` per call.
    @discardableResult
    public func expireOverdueRequests(defaultTTL: Duration?, limit: Int = 100) async throws -> [Int] {
        let logger = self.logger
        let defaultSeconds = defaultTTL?.timeInterval
        let due = try await client.query(
            """
            SELECT r.id, r.status FROM query_requests r JOIN pods p ON p.id = r.pod_id
            WHERE r.status IN (\(RequestStatus.pending.rawValue), \(RequestStatus.approved.rawValue))
              AND CASE WHEN r.status = \(RequestStatus.approved.rawValue) THEN coalesce(r.approved_at, r.created_at) ELSE r.created_at END
                  + make_interval(secs => coalesce(p.request_ttl_seconds::float8, \(defaultSeconds)::float8)) < now()
            ORDER BY r.created_at LIMIT \(limit)
            """,
            logger: logger
        ).decode((Int, String).self).reduce(into: [(Int, String)]()) { $0.append($1) }
        var expired: [Int] = []
        for (id, stored) in due {
            let from = try RequestStatus(portalValue: stored, column: "query_requests.status")
            guard from.canMove(to: .expired) else { continue }
            let moved = try await transaction { connection in
                let updated = try await connection.query(
                    """
                    UPDATE query_requests SET status = \(RequestStatus.expired.rawValue), expires_at = now(), updated_at = now()
                    WHERE id = \(id) AND status = \(from.rawValue)
                    RETURNING id
                    """,
                    logger: logger
                ).decode(Int.self).first { _ in true }
                guard updated != nil else { return false }
                try await Self.appendAudit(
                    AuditEntry(actor: Self.expiryActor, action: .requestExpired, entityType: "query_request", entityID: String(id),
                               details: ["was": from.rawValue]),
                    on: connection, logger: logger)
                try await Self.enqueueApprovalUpdate(requestID: id, on: connection, logger: logger)
                try await Self.enqueueDirectMessage(requestID: id, event: .expired, on: connection, logger: logger)
                return true
            }
            if moved { expired.append(id) }
        }
        return expired
    }
}

extension PortalStore {
    /// Reminds, once, the approvers of every request still pending `percent`% of the way through its time to live
    /// (the pod's, or `defaultTTL`; `nil`: no reminder where the pod sets none): a reply in the approval message's
    /// thread mentioning them, with when the request expires; not once it is overdue (the expiry's turn). The WHERE
    /// clause is `RequestDeadlines.isReminderDue`.
    /// - Returns: the ids reminded.
    @discardableResult
    public func remindWaitingRequests(defaultTTL: Duration?, percent: Int, limit: Int = 100) async throws -> [Int] {
        guard (1...99).contains(percent) else { return [] }
        let logger = self.logger
        return try await transaction { connection in
            let reminded = try await connection.query(
                """
                WITH due AS (
                    SELECT r.id, r.created_at + make_interval(secs => coalesce(p.request_ttl_seconds::float8, \(defaultTTL?.timeInterval)::float8)) AS expires
                    FROM query_requests r JOIN pods p ON p.id = r.pod_id
                    WHERE r.status = \(RequestStatus.pending.rawValue) AND r.reminded_at IS NULL
                      AND r.created_at + make_interval(secs => coalesce(p.request_ttl_seconds::float8, \(defaultTTL?.timeInterval)::float8)
                                                                * \(Double(percent) / 100)) < now()
                      AND r.created_at + make_interval(secs => coalesce(p.request_ttl_seconds::float8, \(defaultTTL?.timeInterval)::float8)) > now()
                    ORDER BY r.created_at LIMIT \(limit)
                    FOR UPDATE OF r SKIP LOCKED
                )
                UPDATE query_requests r SET reminded_at = now() FROM due
                WHERE r.id = due.id AND r.status = \(RequestStatus.pending.rawValue) AND r.reminded_at IS NULL
                RETURNING r.id, due.expires
                """,
                logger: logger
            ).decode((Int, Date).self).reduce(into: [(Int, Date)]()) { $0.append($1) }
            for (id, expires) in reminded {
                try await Self.enqueueReminder(requestID: id, payload: ["kind": "scheduled", "expires_at": expires.formatted(.iso8601)],
                                               on: connection, logger: logger)
                try await Self.appendAudit(
                    AuditEntry(actor: Self.expiryActor, action: .approversReminded, entityType: "query_request", entityID: String(id),
                               details: ["kind": "scheduled"]),
                    on: connection, logger: logger)
            }
            return reminded.map(\.0)
        }
    }

    /// `/query remind N`: the requester reminds the approvers of their pending request, at most once an hour.
    public func nudgeApprovers(requestID: Int, by user: User, via source: AuditSource) async throws -> Reminders.NudgeVerdict {
        let logger = self.logger
        let actor = AuditActor(userID: user.id, label: user.email, source: source)
        return try await transaction { connection in
            let facts = try await Self.decisionFacts(of: requestID, on: connection, logger: logger)
            let last = try await connection.query(
                "SELECT nudged_at, now() FROM query_requests WHERE id = \(requestID) FOR UPDATE", logger: logger
            ).decode((Date?, Date).self).first { _ in true }
            let verdict = Reminders.judgeNudge(by: user, on: facts, lastNudgedAt: last?.0 ?? nil, now: last?.1 ?? Date())
            guard verdict == .remind else { return verdict }
            try await connection.query("UPDATE query_requests SET nudged_at = now() WHERE id = \(requestID)", logger: logger)
            try await Self.enqueueReminder(requestID: requestID, payload: ["kind": "nudge"], on: connection, logger: logger)
            try await Self.appendAudit(
                AuditEntry(actor: actor, action: .approversReminded, entityType: "query_request", entityID: String(requestID),
                           details: ["kind": "nudge"]),
                on: connection, logger: logger)
            return .remind
        }
    }

    /// A reminder hangs on the approval message: it waits for that message's ts, like an update.
    static func enqueueReminder(requestID: Int, payload: [String: String], on connection: PostgresConnection, logger: Logger) async throws {
        guard let (parentID, channel) = try await approvalMessage(of: requestID, on: connection, logger: logger) else { return }
        try await enqueue(.reminder, requestID: requestID, recipient: channel, parentID: parentID, payload: payload, on: connection, logger: logger)
    }
}
