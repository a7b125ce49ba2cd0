import Foundation
import PostgresNIO
import QueryGateCore

/// Counts read off the portal database when `/metrics` is scraped: what every replica did, since the rows are the
/// record (a request is never deleted), so any replica answers for all.
public struct PortalCounts: Sendable, Equatable {
    /// Requests by status and by the door they came in through (`SubmissionDoor`).
    public var requests: [Key: Int] = [:]
    /// Finished runs by outcome (`completed`, `failed`) and engine (`postgresql`, `mongodb`).
    public var executions: [Key: Int] = [:]
    /// Slack notifications by status (`pending`, `sent`, `failed`) and type, and the delivery attempts they took.
    public var notifications: [Key: Int] = [:]
    public var deliveryAttempts: [Key: Int] = [:]
    /// Decisions by kind (`approve`, `reject`, `cancel`) and outcome (`decided`; `counted` for an approval that was
    /// not yet the last one needed; `refused`; `lost` when the request had already moved on), with the door they
    /// came through (`slack`, `api`, `cli`): the audit log's rows, so every click counts.
    public var decisions: [DecisionKey: Int] = [:]
    /// Sync runs by status (`queued`, `running`, `succeeded`, `failed`), all instances together.
    public var syncRuns: [String: Int] = [:]

    public struct DecisionKey: Hashable, Sendable {
        public let decision: String
        public let outcome: String
        public let door: String

        public init(_ decision: String, _ outcome: String, _ door: String) {
            self.decision = decision
            self.outcome = outcome
            self.door = door
        }
    }

    /// Two label values.
    public struct Key: Hashable, Sendable {
        public let first: String
        public let second: String

        public init(_ first: String, _ second: String) {
            self.first = first
            self.second = second
        }
    }
}

extension PortalStore {
    public func counts() async throws -> PortalCounts {
        var counts = PortalCounts()
        for try await (status, door, count) in try await client.query(
            "SELECT status, submitted_via, count(*)::int FROM query_requests GROUP BY 1, 2", logger: logger
        ).decode((String, String, Int).self) {
            counts.requests[.init(status, door)] = count
        }
        for try await (status, engine, count) in try await client.query(
            """
            SELECT r.status, i.type, count(*)::int
            FROM query_requests r JOIN databases d ON d.id = r.database_id JOIN database_instances i ON i.id = d.instance_id
            WHERE r.status IN (\(RequestStatus.completed.rawValue), \(RequestStatus.failed.rawValue))
            GROUP BY 1, 2
            """, logger: logger
        ).decode((String, String, Int).self) {
            counts.executions[.init(status, engine)] = count
        }
        for try await (status, type, count, attempts) in try await client.query(
            "SELECT status, notification_type, count(*)::int, coalesce(sum(attempts), 0)::int FROM slack_notifications GROUP BY 1, 2",
            logger: logger
        ).decode((String, String, Int, Int).self) {
            counts.notifications[.init(status, type)] = count
            counts.deliveryAttempts[.init(status, type)] = attempts
        }
        let decisions: [AuditAction: (String, String)] = [
            .requestApproved: ("approve", "decided"), .approvalRecorded: ("approve", "counted"), .approvalRefused: ("approve", "refused"),
            .requestRejected: ("reject", "decided"), .rejectionRefused: ("reject", "refused"),
            .requestCancelled: ("cancel", "decided"), .cancellationRefused: ("cancel", "refused"),
        ]
        let lost = ["approved": "approve", "rejected": "reject", "cancelled": "cancel"]
        let actions = decisions.keys.map(\.rawValue) + [AuditAction.decisionLost.rawValue]
        for try await (action, door, decided, count) in try await client.query(
            """
            SELECT action, source, CASE WHEN action = \(AuditAction.decisionLost.rawValue) THEN details->>'decision' END, count(*)::int
            FROM audit_logs WHERE action = ANY(\(actions)) GROUP BY 1, 2, 3
            """, logger: logger
        ).decode((String, String, String?, Int).self) {
            if let (decision, outcome) = AuditAction(rawValue: action).flatMap({ decisions[$0] }) {
                counts.decisions[.init(decision, outcome, door), default: 0] += count
            } else if let decision = decided.flatMap({ lost[$0] }) {
                counts.decisions[.init(decision, "lost", door), default: 0] += count
            }
        }
        for try await (status, count) in try await client.query(
            "SELECT status, count(*)::int FROM database_sync_history GROUP BY 1", logger: logger
        ).decode((String, Int).self) {
            counts.syncRuns[status] = count
        }
        return counts
    }
}
