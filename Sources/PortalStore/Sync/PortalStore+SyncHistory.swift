import Foundation
import PostgresNIO
import QueryGateCore

extension PortalStore {
    /// The history, newest first, optionally of one instance.
    public func syncHistory(instance: InstanceName? = nil, limit: Int = 20) async throws -> [SyncHistoryEntry] {
        let rows = try await client.query(
            """
            SELECT h.id, i.name, h.status, h.databases_found, h.databases_added, h.databases_reactivated,
                   h.databases_marked_missing, h.databases_skipped, h.error_message, h.triggered_via, h.triggered_by_label,
                   h.started_at, h.finished_at
            FROM database_sync_history h JOIN database_instances i ON i.id = h.instance_id
            WHERE \(instance?.rawValue)::text IS NULL OR i.name = \(instance?.rawValue)
            ORDER BY h.started_at DESC, h.id DESC
            LIMIT \(limit)
            """,
            logger: logger)
        var entries: [SyncHistoryEntry] = []
        for try await (id, name, status, found, added, reactivated, missing, skipped, error, trigger, label, started, finished) in rows.decode(
            (Int, String, String, Int, Int, Int, Int, Int, String?, String, String?, Date, Date?).self)
        {
            entries.append(SyncHistoryEntry(
                id: id, instanceName: name, status: status,
                counts: SyncCounts(found: found, added: added, reactivated: reactivated, markedMissing: missing, skipped: skipped),
                errorMessage: error, trigger: trigger, triggeredBy: label, startedAt: started, finishedAt: finished))
        }
        return entries
    }
}
