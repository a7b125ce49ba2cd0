import Foundation

/// What started a sync, as the history records it.
public enum SyncTrigger: String, Sendable, Equatable, CaseIterable {
    /// `querygate serve` starting.
    case startup
    /// The `QUERYGATE_SYNC_INTERVAL` timer.
    case schedule
    /// `querygate sync`.
    case cli
    /// `POST /api/v1/instances/{name}/sync`.
    case api
    /// `/query sync`.
    case slack
}

/// What a successful sync found (the names the blacklist let through) and changed; `skipped` counts listed names
/// it did not add (blacklisted, or not addressable as `<instance>/<database>`).
public struct SyncCounts: Sendable, Equatable {
    public let found: Int
    public let added: Int
    public let reactivated: Int
    public let markedMissing: Int
    public let skipped: Int

    public init(found: Int, added: Int, reactivated: Int, markedMissing: Int, skipped: Int) {
        self.found = found
        self.added = added
        self.reactivated = reactivated
        self.markedMissing = markedMissing
        self.skipped = skipped
    }

    public init(plan: SyncPlan) {
        self.init(found: plan.found, added: plan.added.count, reactivated: plan.reactivated.count,
                  markedMissing: plan.markedMissing.count, skipped: plan.skipped.count)
    }
}

/// How one instance's sync ended.
public enum SyncOutcome: Sendable, Equatable {
    case succeeded(SyncCounts)
    /// Nothing in the registry changed; the message names variables, never their values.
    case failed(String)
    /// Another sync of this instance (on this replica or another, queued or running) holds it; this one did not
    /// start.
    case alreadyRunning(SyncInProgress)
    /// A scheduled run found the instance synced recently (by any replica) and left it.
    case syncedRecently

    public var isFailure: Bool {
        if case .failed = self { return true }
        return false
    }

    /// One line for a person: "Synced pg-main: 12 databases found, 2 added, 0 reactivated, 1 marked missing."
    public func sentence(instance: String) -> String {
        switch self {
        case .succeeded(let c):
            "Synced \(instance): \(c.found) database\(c.found == 1 ? "" : "s") found, \(c.added) added, \(c.reactivated) reactivated, "
                + "\(c.markedMissing) marked missing" + (c.skipped > 0 ? " (\(c.skipped) skipped by the blacklist or unaddressable)." : ".")
        case .failed(let message): "The sync of \(instance) failed, and changed nothing: \(message)"
        case .alreadyRunning(let running): "Not started: \(running.sentence)."
        case .syncedRecently: "Skipped \(instance): it was synced recently."
        }
    }
}

/// A sync that has been asked for and not finished: `queued` (waiting for a worker of `querygate serve`) or
/// `running`. An instance has at most one.
public struct SyncInProgress: Sendable, Equatable {
    public let id: Int
    public let instanceName: String
    /// `queued` or `running`.
    public let status: String
    public let trigger: SyncTrigger
    public let requestedBy: String?
    public let requestedAt: Date

    public init(id: Int, instanceName: String, status: String, trigger: SyncTrigger, requestedBy: String?, requestedAt: Date) {
        self.id = id
        self.instanceName = instanceName
        self.status = status
        self.trigger = trigger
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
    }

    /// "a sync of pg-main asked for by alice (api) at 2026-12-02T05:10:00Z is running".
    public var sentence: String {
        let who = requestedBy.map { " asked for by \($0) (\(trigger.rawValue))" } ?? " (\(trigger.rawValue))"
        return "a sync of \(instanceName)\(who) at \(requestedAt.formatted(.iso8601)) is \(status == "queued" ? "waiting to run" : "running")"
    }
}

/// One row of `database_sync_history`.
public struct SyncHistoryEntry: Sendable, Equatable {
    public let id: Int
    public let instanceName: String
    public let status: String
    public let counts: SyncCounts
    public let errorMessage: String?
    public let trigger: String
    public let triggeredBy: String?
    public let startedAt: Date
    public let finishedAt: Date?

    public init(id: Int, instanceName: String, status: String, counts: SyncCounts, errorMessage: String?, trigger: String,
                triggeredBy: String?, startedAt: Date, finishedAt: Date?) {
        self.id = id
        self.instanceName = instanceName
        self.status = status
        self.counts = counts
        self.errorMessage = errorMessage
        self.trigger = trigger
        self.triggeredBy = triggeredBy
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}
