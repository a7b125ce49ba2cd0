import Foundation
import PortalStore
import QueryGateCore

/// `Directory` in memory: the portal API's instances, target search, audit log, syncs and blacklist without a
/// database, for route tests. It keeps the PostgreSQL implementation's rules: target search over
/// `<instance>/<database>` ignoring case, active databases of active instances only; the audit log newest first,
/// paged by row id; one queued or running sync per instance, a lapsed one closed as failed first; the system
/// databases blacklisted from the start, one pattern per scope (every instance, or one), a regex checked on adding.
/// `DirectoryContractTests` runs the same stories through both to keep the two alike.
///
/// Two things it only approximates: a regex is checked by `NSRegularExpression` (ICU), not by PostgreSQL's `~`
/// (POSIX), which agree on what the tests add; and names are ordered by Swift's `<`, which is the test cluster's
/// collation for lower-case names only.
public actor MemoryDirectory: Directory {
    struct Instance {
        let id: Int
        let name: String
        let type: DatabaseType
        let credentials: InstanceCredentials
        let description: String?
        var isActive = true
        var lastSyncAt: Date?
        var lastSyncStatus: String?
    }

    struct Database {
        let id: Int
        let instanceID: Int
        let name: String
        let description: String?
        let source: String
        var isActive = true
    }

    struct Sync {
        let id: Int
        let instanceID: Int
        var status: String
        var counts = SyncCounts(found: 0, added: 0, reactivated: 0, markedMissing: 0, skipped: 0)
        var errorMessage: String?
        let trigger: SyncTrigger
        let triggeredBy: String?
        var startedAt: Date
        var finishedAt: Date?
        /// While running: when its claim lapses, and who holds it.
        var leaseExpiresAt: Date?
        var claimedBy: String?
    }

    struct Pattern {
        let id: Int
        let instanceID: Int?
        let pattern: String
        let kind: BlacklistKind
        let reason: String?
        let createdAt: Date
    }

    private var instances: [Instance] = []
    private var databases: [Database] = []
    private var syncs: [Sync] = []
    private var patterns: [Pattern] = []
    private var audit: [AuditRecord] = []
    /// One sequence per table, as each table's BIGSERIAL.
    private var lastIDs: [String: Int] = [:]

    /// The system databases the migrations blacklist for every instance, in their order.
    static let systemPatterns: [(String, String)] = [
        ("template0", "PostgreSQL system template"), ("template1", "PostgreSQL system template"),
        ("postgres", "PostgreSQL maintenance database"), ("admin", "MongoDB system database"),
        ("local", "MongoDB system database"), ("config", "MongoDB system database"),
        ("rdsadmin", "Amazon RDS administration database"),
    ]

    public init() {
        let now = Date()
        patterns = Self.systemPatterns.enumerated().map { index, system in
            Pattern(id: index + 1, instanceID: nil, pattern: system.0, kind: .exact, reason: system.1, createdAt: now)
        }
        lastIDs["database_blacklist"] = patterns.count
    }

    private func nextID(_ table: String) -> Int {
        let id = (lastIDs[table] ?? 0) + 1
        lastIDs[table] = id
        return id
    }

    // MARK: What a test sets up (the store's CLI and sync do it on PostgreSQL)

    /// Registers an instance, as `PortalStore.addInstance` does (unaudited: the tests read the audit of API calls).
    @discardableResult
    public func addInstance(_ new: NewInstance) -> DatabaseInstance {
        let instance = Instance(id: nextID("database_instances"), name: new.name.rawValue, type: new.type, credentials: new.credentials,
                                description: new.description)
        instances.append(instance)
        return view(of: instance)
    }

    /// Adds a database by hand (`source = manual`), as `PortalStore.addDatabase` does.
    public func addDatabase(instance: InstanceName, name: DatabaseName, description: String? = nil) throws {
        guard let owner = instances.first(where: { $0.name == instance.rawValue }) else {
            throw ValidationError.noInstance(named: instance)
        }
        guard !databases.contains(where: { $0.instanceID == owner.id && $0.name == name.rawValue }) else {
            throw ValidationError(field: "name", "instance '\(instance)' already has a database named '\(name)'")
        }
        databases.append(Database(id: nextID("databases"), instanceID: owner.id, name: name.rawValue, description: description, source: "manual"))
    }

    /// Deactivates an instance: its databases are no longer offered, and it cannot be synced.
    public func deactivateInstance(named name: InstanceName) {
        for index in instances.indices where instances[index].name == name.rawValue { instances[index].isActive = false }
    }

    /// Deactivates one database of an instance, as an administrator disabling it would.
    public func deactivateDatabase(instance: InstanceName, name: DatabaseName) {
        guard let owner = instances.first(where: { $0.name == instance.rawValue }) else { return }
        for index in databases.indices where databases[index].instanceID == owner.id && databases[index].name == name.rawValue {
            databases[index].isActive = false
        }
    }

    /// Records a sync that ran and succeeded with these counts, as `PortalStore.syncInstance` leaves it: a history
    /// row, and the instance's last sync. (A failed one is a running sync whose claim lapses.)
    public func recordSucceededSync(of instance: InstanceName, trigger: SyncTrigger, by actor: AuditActor, counts: SyncCounts) throws {
        let owner = try syncable(instance)
        let now = Date()
        syncs.append(Sync(id: nextID("database_sync_history"), instanceID: owner.id, status: "succeeded", counts: counts,
                          trigger: trigger, triggeredBy: actor.label, startedAt: now, finishedAt: now))
        markLastSync(of: owner.id, status: "succeeded", at: now)
    }

    /// Records a sync a worker has begun, as `PortalStore.beginSync` does, with a claim that lapses after `lease`
    /// (a worker that stopped: the next request closes its run as failed).
    public func recordRunningSync(of instance: InstanceName, trigger: SyncTrigger, by actor: AuditActor, worker: String,
                                  lease: Duration) throws {
        let owner = try syncable(instance)
        let now = Date()
        let lapses = now.addingTimeInterval(Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18)
        syncs.append(Sync(id: nextID("database_sync_history"), instanceID: owner.id, status: "running", trigger: trigger,
                          triggeredBy: actor.label, startedAt: now, leaseExpiresAt: lapses, claimedBy: worker))
    }

    // MARK: Directory

    public func listInstances(named name: String?) async throws -> [DatabaseInstance] {
        instances.filter { name == nil || $0.name == name }.sorted { $0.name < $1.name }.map(view)
    }

    public func searchTargets(_ search: String, limit: Int) async throws -> [TargetDatabase] {
        // ILIKE '%search%' with the wildcards escaped: a plain substring, ignoring case.
        let needle = search.lowercased()
        let active = Dictionary(uniqueKeysWithValues: instances.filter(\.isActive).map { ($0.id, $0) })
        let found = databases.compactMap { database -> (Instance, Database)? in
            guard database.isActive, let instance = active[database.instanceID] else { return nil }
            return (instance, database)
        }
        .filter { needle.isEmpty || "\($0.0.name)/\($0.1.name)".lowercased().contains(needle) }
        .sorted { ($0.0.name, $0.1.name) < ($1.0.name, $1.1.name) }
        return found.prefix(limit).map { instance, database in
            TargetDatabase(id: database.id, instanceName: instance.name, instanceType: instance.type, name: database.name,
                           description: database.description, source: database.source, isActive: true)
        }
    }

    public func recentAuditEntries(limit: Int, before: Int?) async throws -> [AuditRecord] {
        Array(audit.filter { record in before.map { record.id < $0 } ?? true }.sorted { $0.id > $1.id }.prefix(limit))
    }

    public func requestSync(of name: InstanceName, trigger: SyncTrigger, by actor: AuditActor, replyTo reply: SlackReplyTarget?) async throws
        -> SyncRequestResult
    {
        let instance = try syncable(name)
        closeAbandonedSyncs()
        if let unfinished = syncs.first(where: { $0.instanceID == instance.id && ($0.status == "queued" || $0.status == "running") }) {
            return .alreadyRunning(SyncInProgress(id: unfinished.id, instanceName: instance.name, status: unfinished.status,
                                                  trigger: unfinished.trigger, requestedBy: unfinished.triggeredBy, requestedAt: unfinished.startedAt))
        }
        let now = Date()
        let queued = Sync(id: nextID("database_sync_history"), instanceID: instance.id, status: "queued", trigger: trigger,
                          triggeredBy: actor.label, startedAt: now)
        syncs.append(queued)
        appendAudit(actor, .syncRequested, entityType: "database_instance", entityID: String(instance.id),
                    details: ["instance": instance.name, "via": trigger.rawValue])
        return .queued(SyncInProgress(id: queued.id, instanceName: instance.name, status: "queued", trigger: trigger,
                                      requestedBy: actor.label, requestedAt: now))
    }

    public func syncHistory(instance: InstanceName?, limit: Int) async throws -> [SyncHistoryEntry] {
        let names = Dictionary(uniqueKeysWithValues: instances.map { ($0.id, $0.name) })
        return syncs
            .filter { instance == nil || names[$0.instanceID] == instance?.rawValue }
            .sorted { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) }
            .prefix(limit)
            .map { sync in
                SyncHistoryEntry(id: sync.id, instanceName: names[sync.instanceID] ?? "?", status: sync.status, counts: sync.counts,
                                 errorMessage: sync.errorMessage, trigger: sync.trigger.rawValue, triggeredBy: sync.triggeredBy,
                                 startedAt: sync.startedAt, finishedAt: sync.finishedAt)
            }
    }

    public func listBlacklist(instance: InstanceName?) async throws -> [BlacklistEntry] {
        // An instance that does not exist has only the patterns of every instance, as the LEFT JOIN finds them.
        let names = Dictionary(uniqueKeysWithValues: instances.map { ($0.id, $0.name) })
        let entries = patterns.map { pattern in entry(pattern, instanceName: pattern.instanceID.flatMap { names[$0] }) }
        return entries.filter { instance == nil || $0.instanceName == nil || $0.instanceName == instance?.rawValue }.sorted(by: Self.listed)
    }

    /// `ORDER BY i.name NULLS FIRST, b.pattern`.
    static func listed(_ one: BlacklistEntry, before other: BlacklistEntry) -> Bool {
        switch (one.instanceName, other.instanceName) {
        case (nil, .some): true
        case (.some, nil): false
        case let (.some(a), .some(b)) where a != b: a < b
        default: one.pattern < other.pattern
        }
    }

    @discardableResult
    public func addBlacklistPattern(_ new: NewBlacklistPattern, by actor: AuditActor) async throws -> BlacklistEntry {
        // In the SQL's order: the regex is compiled first, then the instance looked up, then the unique index.
        if new.kind == .regex, (try? NSRegularExpression(pattern: new.pattern)) == nil {
            throw ValidationError(field: "pattern", "'\(new.pattern.prefix(80))' is not a valid regex: invalid")
        }
        var instanceID: Int?
        if let instance = new.instance {
            guard let found = instances.first(where: { $0.name == instance.rawValue }) else {
                throw ValidationError.noInstance(named: instance)
            }
            instanceID = found.id
        }
        // One row per (scope, pattern), whatever its kind: `COALESCE(instance_id, 0), pattern`.
        guard !patterns.contains(where: { $0.instanceID == instanceID && $0.pattern == new.pattern }) else {
            let scope = new.instance.map { "instance '\($0)'" } ?? "every instance"
            throw ValidationError(field: "pattern", "the blacklist of \(scope) already has '\(new.pattern.prefix(80))'")
        }
        let pattern = Pattern(id: nextID("database_blacklist"), instanceID: instanceID, pattern: new.pattern, kind: new.kind, reason: new.reason,
                              createdAt: Date())
        patterns.append(pattern)
        var details = ["pattern": new.pattern, "kind": new.kind.rawValue]
        details["instance"] = new.instance?.rawValue
        details["reason"] = new.reason
        appendAudit(actor, .blacklistPatternAdded, entityType: "database_blacklist", entityID: String(pattern.id), details: details)
        return entry(pattern, instanceName: new.instance?.rawValue)
    }

    public func removeBlacklistPattern(id: Int, by actor: AuditActor) async throws -> Bool {
        guard let index = patterns.firstIndex(where: { $0.id == id }) else { return false }
        let removed = patterns.remove(at: index)
        var details = ["pattern": removed.pattern, "kind": removed.kind.rawValue]
        details["instance"] = removed.instanceID.flatMap { id in instances.first { $0.id == id }?.name }
        appendAudit(actor, .blacklistPatternRemoved, entityType: "database_blacklist", entityID: String(removed.id), details: details)
        return true
    }

    // MARK: The SQL's joins and side effects

    /// The instance as `listInstances` reads it: every database counted, active or not, and the counts of its
    /// last finished sync when that one succeeded.
    private func view(of instance: Instance) -> DatabaseInstance {
        let lastFinished = syncs.filter { $0.instanceID == instance.id && ($0.status == "succeeded" || $0.status == "failed") }
            .max { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
        return DatabaseInstance(id: instance.id, name: instance.name, type: instance.type, credentials: instance.credentials,
                                description: instance.description, isActive: instance.isActive,
                                databaseCount: databases.filter { $0.instanceID == instance.id }.count,
                                lastSyncAt: instance.lastSyncAt, lastSyncStatus: instance.lastSyncStatus,
                                lastSyncCounts: lastFinished?.status == "succeeded" ? lastFinished?.counts : nil)
    }

    private func entry(_ pattern: Pattern, instanceName: String?) -> BlacklistEntry {
        BlacklistEntry(id: pattern.id, pattern: pattern.pattern, kind: pattern.kind, instanceName: instanceName, reason: pattern.reason,
                       createdAt: pattern.createdAt)
    }

    /// As `PortalStore.syncableInstance`: unknown and deactivated instances are refused before anything is written.
    private func syncable(_ name: InstanceName) throws -> Instance {
        try SyncRules.syncable(instances.first { $0.name == name.rawValue }, named: name, isActive: \.isActive)
    }

    /// A running sync whose claim has lapsed is closed as failed, so that its instance can be synced again. (The
    /// SQL also tells a Slack requester; nothing here has an outbox.)
    private func closeAbandonedSyncs() {
        let now = Date()
        for index in syncs.indices where syncs[index].status == "running" && (syncs[index].leaseExpiresAt ?? .distantFuture) < now {
            syncs[index].status = "failed"
            syncs[index].finishedAt = now
            syncs[index].leaseExpiresAt = nil
            syncs[index].errorMessage = "interrupted: the QueryGate process running it (\(syncs[index].claimedBy ?? "?")) stopped before it "
                + "finished; nothing was changed"
            markLastSync(of: syncs[index].instanceID, status: "failed", at: now)
        }
    }

    private func markLastSync(of instanceID: Int, status: String, at date: Date) {
        for index in instances.indices where instances[index].id == instanceID {
            instances[index].lastSyncAt = date
            instances[index].lastSyncStatus = status
        }
    }

    private func appendAudit(_ actor: AuditActor, _ action: AuditAction, entityType: String, entityID: String?, details: [String: String]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(details)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        audit.append(AuditRecord(id: nextID("audit_logs"), actorLabel: actor.label, source: actor.source.rawValue, action: action.rawValue,
                                 entityType: entityType, entityID: entityID, detailsJSON: json, createdAt: Date()))
    }
}

extension Organisation {
    /// The organisation's one target, pg-main/customer_db, in a twin (the people are `MemorySessionStore`'s).
    public static func seed(_ directory: MemoryDirectory) async throws {
        let instance = NewInstance(name: try InstanceName("pg-main"), type: .postgresql,
                                   credentials: .environmentPrefix(try EnvironmentVariableName("PG_INSTANCE_1", field: "x")), description: nil)
        await directory.addInstance(instance)
        try await directory.addDatabase(instance: InstanceName("pg-main"), name: DatabaseName("customer_db"))
    }
}
