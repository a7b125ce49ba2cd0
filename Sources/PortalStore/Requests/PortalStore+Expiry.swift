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
    /// wins and an expiry never overwrites it; replicas sweeping together skip each other's rows.
    ///
    /// - Returns: the ids expired, at most `limit` per call.
    @discardableResult
    public func expireOverdueRequests(defaultTTL: Duration?, limit: Int = 100) async throws -> [Int] {
        let logger = self.logger
        let defaultSeconds = defaultTTL?.seconds
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
