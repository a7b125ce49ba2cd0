import Foundation
import PortalStore
import QueryGateCore

/// `ExpirySweeps` in memory: the deadlines are `RequestDeadlines`' (which the PostgreSQL store writes as SQL), the
/// audit rows and the queued reminder those of `PortalStore`. `ExpirySweepContractTests` hold it to the same
/// stories as the real store. Time passes by `age(_:by:)`, not by waiting.
extension MemoryRequestRepository: ExpirySweeps {
    /// Who the audit log names for a sweep, as `PortalStore.expiryActor`.
    static let expiryActor = "system:expiry"

    public func remindWaitingRequests(defaultTTL: Duration?, percent: Int, limit: Int) async throws -> [Int] {
        let now = Date()
        let due = oldestFirst.filter { record in
            guard record.status == .pending, record.remindedAt == nil else { return false }
            return RequestDeadlines.isReminderDue(createdAt: record.createdAt, timeToLive: timeToLive(of: record, default: defaultTTL),
                                                  percent: percent, now: now)
        }.prefix(limit)
        for record in due {
            records[record.id]?.remindedAt = now
            queued.append(.reminder(requestID: record.id))
            audit.append(Audited(action: .approversReminded, requestID: record.id, actor: Self.expiryActor, source: .system,
                                 details: ["kind": "scheduled"]))
        }
        return due.map(\.id)
    }

    public func expireOverdueRequests(defaultTTL: Duration?, limit: Int) async throws -> [Int] {
        let now = Date()
        let due = oldestFirst.filter { record in
            let expiresAt = RequestDeadlines.expiresAt(record.status, createdAt: record.createdAt, approvedAt: record.decidedAt,
                                                       timeToLive: timeToLive(of: record, default: defaultTTL))
            return expiresAt.map { $0 < now } ?? false
        }.prefix(limit)
        for record in due {
            records[record.id]?.status = .expired
            audit.append(Audited(action: .requestExpired, requestID: record.id, actor: Self.expiryActor, source: .system,
                                 details: ["was": record.status.rawValue]))
        }
        return due.map(\.id)
    }

    // MARK: - Setup, as `querygate pods set` and the passing of time would make it

    /// Sets a pod's own time to live for requests (nil: QueryGate's default).
    public func setTimeToLive(of pod: String, seconds: Int?) {
        guard let id = pods.values.first(where: { $0.name == pod })?.id else { return }
        pods[id]?.requestTTLSeconds = seconds
    }

    /// Moves a request's making (and its decision) `age` into the past.
    public func age(_ requestID: Int, by age: Duration) {
        let seconds = Double(age.components.seconds)
        records[requestID]?.createdAt.addTimeInterval(-seconds)
        records[requestID]?.decidedAt?.addTimeInterval(-seconds)
    }

    private var oldestFirst: [Record] { records.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) } }

    private func timeToLive(of record: Record, default defaultTTL: Duration?) -> Duration? {
        RequestDeadlines.timeToLive(podSeconds: pods[record.podID]?.requestTTLSeconds, default: defaultTTL)
    }
}
