import Foundation
import QueryGateCore

/// What the portal API's directory and sync routes need of the portal database: the instances and the databases a
/// request can name, the audit log an admin reads, queueing a sync and reading its history, and the blacklist.
///
/// `PortalStore` is the implementation on PostgreSQL (its own tests, against the real server, cover its SQL and
/// its concurrency); the tests' `MemoryDirectory` is a twin in memory, held to the same contract by tests that run
/// against both, so that route tests of these routes need no database.
///
/// No requirement has a default argument: a protocol cannot give one, and a second, shorter overload beside
/// `PortalStore`'s own would make its callers' calls ambiguous. The routes say every argument.
public protocol Directory: Sendable {
    /// Every instance by name, or the one called `name` (none when there is no such instance).
    func listInstances(named name: String?) async throws -> [DatabaseInstance]
    /// Active databases of active instances whose `<instance>/<database>` contains `search`, ignoring case.
    func searchTargets(_ search: String, limit: Int) async throws -> [TargetDatabase]
    /// The newest audit rows (older than row `before`, when given), newest first.
    func recentAuditEntries(limit: Int, before: Int?) async throws -> [AuditRecord]
    /// Queues a sync for a worker, and audits it; one already queued or running is answered instead.
    /// - Throws: `ValidationError` for an unknown or deactivated instance, before anything is written.
    func requestSync(of name: InstanceName, trigger: SyncTrigger, by actor: AuditActor, replyTo reply: SlackReplyTarget?) async throws
        -> SyncRequestResult
    /// The history, newest first, optionally of one instance.
    func syncHistory(instance: InstanceName?, limit: Int) async throws -> [SyncHistoryEntry]
    /// The patterns that apply to `instance` (its own and the global ones), or every pattern.
    func listBlacklist(instance: InstanceName?) async throws -> [BlacklistEntry]
    /// Adds a pattern, and audits it.
    /// - Throws: `ValidationError` for an invalid regex, an unknown instance or a pattern the scope already has.
    @discardableResult
    func addBlacklistPattern(_ new: NewBlacklistPattern, by actor: AuditActor) async throws -> BlacklistEntry
    /// Removes the pattern with this id, and audits it; `false` when there is none.
    func removeBlacklistPattern(id: Int, by actor: AuditActor) async throws -> Bool
}

extension PortalStore: Directory {}
