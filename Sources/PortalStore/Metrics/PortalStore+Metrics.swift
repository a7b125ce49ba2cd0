import Foundation
import PostgresNIO
import QueryGateCore

/// Counts read off the portal database when `/metrics` is scraped: what every replica did, since the rows are the
/// record (a request is never deleted), so any replica answers for all.
public struct PortalCounts: Sendable, Equatable {
    /// Requests by status and by the door they came in through (`slack`, `portal`, `cli`).
    public var requests: [Key: Int] = [:]
    /// Finished runs by outcome (`completed`, `failed`) and engine (`postgresql`, `mongodb`).
    public var executions: [Key: Int] = [:]
    /// Slack notifications by status (`pending`, `sent`, `failed`) and type, and the delivery attempts they took.
    public var notifications: [Key: Int] = [:]
    public var deliveryAttempts: [Key: Int] = [:]
    /// Sync runs by status (`queued`, `running`, `succeeded`, `failed`), all instances together.
    public var syncRuns: [String: Int] = [:]

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
        for try await (status, count) in try await client.query(
            "SELECT status, count(*)::int FROM database_sync_history GROUP BY 1", logger: logger
        ).decode((String, Int).self) {
            counts.syncRuns[status] = count
        }
        return counts
    }
}
