import Foundation
import QueryGateCore

/// One sync of an instance: queued, running, or how it ended.
struct SyncView: Encodable {
    let id: Int
    let instance: String
    /// queued, running, succeeded or failed.
    let status: String
    /// startup, schedule, cli, api or slack.
    let trigger: String
    let requested_by: String?
    /// When it started running, or, while queued, when it was asked for.
    let started_at: Date
    let finished_at: Date?
    let counts: SyncCountsView?
    let error: String?

    init(_ queued: SyncInProgress) {
        id = queued.id
        instance = queued.instanceName
        status = queued.status
        trigger = queued.trigger.rawValue
        requested_by = queued.requestedBy
        started_at = queued.requestedAt
        finished_at = nil
        counts = nil
        error = nil
    }

    init(_ entry: SyncHistoryEntry) {
        id = entry.id
        instance = entry.instanceName
        status = entry.status
        trigger = entry.trigger
        requested_by = entry.triggeredBy
        started_at = entry.startedAt
        finished_at = entry.finishedAt
        counts = entry.status == "succeeded" ? SyncCountsView(entry.counts) : nil
        error = entry.errorMessage
    }
}

struct SyncCountsView: Encodable {
    let found: Int
    let added: Int
    let reactivated: Int
    let marked_missing: Int
    let skipped: Int

    init(_ counts: SyncCounts) {
        found = counts.found
        added = counts.added
        reactivated = counts.reactivated
        marked_missing = counts.markedMissing
        skipped = counts.skipped
    }
}

struct BlacklistPatternView: Encodable {
    let id: Int
    let pattern: String
    /// exact, prefix or regex.
    let kind: String
    /// Absent: the pattern applies to every instance.
    let instance: String?
    let reason: String?
    let created_at: Date

    init(_ entry: BlacklistEntry) {
        id = entry.id
        pattern = entry.pattern
        kind = entry.kind.rawValue
        instance = entry.instanceName
        reason = entry.reason
        created_at = entry.createdAt
    }
}
