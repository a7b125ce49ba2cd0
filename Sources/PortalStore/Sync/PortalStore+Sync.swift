import Foundation
import PostgresNIO
import QueryGateCore

extension PortalStore {
    /// The first key of the per-instance advisory lock (the second is the instance id), so that only one
    /// replica syncs an instance at a time.
    static let syncLockNamespace: Int32 = 0x5153_0008

    /// Syncs one instance: takes its lock, lists its databases with `list` and reconciles the registry with
    /// them, all in one portal transaction, and records the run in the history.
    ///
    /// - `list` runs while the transaction holds the instance's lock, so a second sync (any replica) answers
    ///   `.alreadyRunning` instead of listing too. It throws a failure whose message names no secret.
    /// - A listing failure changes no `databases` row; it is recorded as a failed run.
    /// - `skipIfSyncedWithin`: a scheduled run leaves an instance whose last sync, by anyone, is that recent.
    /// - Throws: `ValidationError` for an unknown instance; portal database errors.
    public func syncInstance(
        named name: InstanceName, trigger: SyncTrigger, by actor: AuditActor, skipIfSyncedWithin: Duration? = nil,
        list: @escaping @Sendable (DatabaseInstance) async throws -> [String]
    ) async throws -> SyncOutcome {
        let logger = self.logger
        guard let instance = try await listInstances().first(where: { $0.name == name.rawValue }) else {
            throw ValidationError(field: "instance", "there is no instance named '\(name)' (see `querygate instances list`)")
        }
        let started = Date()
        do {
            return try await transaction { connection in
                let locked = try await connection.query(
                    "SELECT pg_try_advisory_xact_lock(\(Self.syncLockNamespace), \(Int32(truncatingIfNeeded: instance.id)))",
                    logger: logger
                ).decode(Bool.self).first { _ in true } ?? false
                guard locked else { return .alreadyRunning }
                if let recent = skipIfSyncedWithin {
                    let seconds = Double(recent.components.seconds) + Double(recent.components.attoseconds) / 1e18
                    let isRecent = try await connection.query(
                        """
                        SELECT coalesce(last_sync_at > now() - make_interval(secs => \(seconds)), false)
                        FROM database_instances WHERE id = \(instance.id)
                        """,
                        logger: logger
                    ).decode(Bool.self).first { _ in true } ?? false
                    if isRecent { return .syncedRecently }
                }
                let listed: [String]
                do {
                    listed = try await list(instance)
                } catch {
                    let message = Self.syncFailureMessage(error)
                    try await Self.recordSync(of: instance.id, started: started, outcome: .failed(message), trigger: trigger, by: actor,
                                              on: connection, logger: logger)
                    return .failed(message)
                }
                let counts = try await Self.reconcile(instanceID: instance.id, listed: listed, on: connection, logger: logger)
                try await Self.recordSync(of: instance.id, started: started, outcome: .succeeded(counts), trigger: trigger, by: actor,
                                          on: connection, logger: logger)
                return .succeeded(counts)
            }
        } catch {
            // The transaction failed on the portal side (a blacklist regex the server rejects, say): nothing of
            // it was applied; record the failure on its own so that the history says so.
            let message = Self.syncFailureMessage(error)
            try? await transaction { connection in
                try await Self.recordSync(of: instance.id, started: started, outcome: .failed(message), trigger: trigger, by: actor,
                                          on: connection, logger: logger)
            }
            logger.error("database sync failed on the portal side", metadata: ["instance": "\(instance.name)", "error": "\(message)"])
            return .failed(message)
        }
    }

    /// Applies the plan with a few set-based statements, never one per database.
    static func reconcile(instanceID: Int, listed: [String], on connection: PostgresConnection, logger: Logger) async throws -> SyncCounts {
        var blacklisted = Set<String>()
        for try await name in try await connection.query(
            """
            SELECT n FROM unnest(\(listed)::text[]) AS n
            WHERE EXISTS (
                SELECT 1 FROM database_blacklist b
                WHERE (b.instance_id IS NULL OR b.instance_id = \(instanceID))
                  AND CASE b.kind WHEN 'exact' THEN n = b.pattern
                                  WHEN 'prefix' THEN starts_with(n, b.pattern)
                                  ELSE n ~ b.pattern END)
            """,
            logger: logger
        ).decode(String.self) {
            blacklisted.insert(name)
        }
        var registered: [RegisteredDatabase] = []
        for try await (name, source, isActive, isMissing) in try await connection.query(
            "SELECT name, source, is_active, missing_since IS NOT NULL FROM databases WHERE instance_id = \(instanceID) FOR UPDATE",
            logger: logger
        ).decode((String, String, Bool, Bool).self) {
            guard let source = DatabaseSource(rawValue: source) else {
                throw UnexpectedPortalState("databases.source holds '\(source)', which this version never writes")
            }
            registered.append(RegisteredDatabase(name: name, source: source, state: RegisteredDatabase.state(isActive: isActive, isMissing: isMissing)))
        }
        let plan = SyncPlan(registered: registered, listed: listed, blacklisted: blacklisted)
        if !plan.added.isEmpty {
            try await connection.query(
                """
                INSERT INTO databases (instance_id, name, source, last_seen_at)
                SELECT \(instanceID), n, 'synced', now() FROM unnest(\(plan.added)::text[]) AS n
                ON CONFLICT (instance_id, name) DO NOTHING
                """,
                logger: logger)
        }
        if !plan.seen.isEmpty {
            // Right-hand sides read the row as it was: a row marked missing becomes active again, a disabled one
            // stays as it is.
            try await connection.query(
                """
                UPDATE databases
                SET last_seen_at = now(), is_active = is_active OR missing_since IS NOT NULL, missing_since = NULL,
                    updated_at = CASE WHEN missing_since IS NULL THEN updated_at ELSE now() END
                WHERE instance_id = \(instanceID) AND source = 'synced' AND name = ANY(\(plan.seen)::text[])
                """,
                logger: logger)
        }
        if !plan.markedMissing.isEmpty {
            try await connection.query(
                """
                UPDATE databases SET is_active = false, missing_since = now(), updated_at = now()
                WHERE instance_id = \(instanceID) AND source = 'synced' AND is_active AND name = ANY(\(plan.markedMissing)::text[])
                """,
                logger: logger)
        }
        return SyncCounts(plan: plan)
    }

    static func recordSync(
        of instanceID: Int, started: Date, outcome: SyncOutcome, trigger: SyncTrigger, by actor: AuditActor,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let (status, counts, error): (String, SyncCounts?, String?)
        switch outcome {
        case .succeeded(let succeeded): (status, counts, error) = ("succeeded", succeeded, nil)
        case .failed(let message): (status, counts, error) = ("failed", nil, message)
        case .alreadyRunning, .syncedRecently: return
        }
        try await connection.query(
            """
            INSERT INTO database_sync_history (instance_id, status, databases_found, databases_added, databases_reactivated,
                databases_marked_missing, databases_skipped, error_message, triggered_by, triggered_via, triggered_by_label,
                started_at, finished_at)
            VALUES (\(instanceID), \(status), \(counts?.found ?? 0), \(counts?.added ?? 0), \(counts?.reactivated ?? 0),
                \(counts?.markedMissing ?? 0), \(counts?.skipped ?? 0), \(error), \(actor.userID), \(trigger.rawValue), \(actor.label),
                \(started), clock_timestamp())
            """,
            logger: logger)
        try await connection.query(
            "UPDATE database_instances SET last_sync_at = clock_timestamp(), last_sync_status = \(status) WHERE id = \(instanceID)",
            logger: logger)
    }

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

    /// What a failed run records: the failure's own words (they name variables, never values), or the
    /// server's message for a portal error.
    static func syncFailureMessage(_ error: any Error) -> String {
        switch error {
        case let failure as ExecutionFailure: failure.message
        case let error as PSQLError:
            error.serverInfo.map { "the portal database answered: \($0[.message] ?? "an error") (SQLSTATE \($0[.sqlState] ?? "?"))" }
                ?? "the portal database failed: \(error.code)"
        case let error as any CustomStringConvertible: error.description
        default: "\(type(of: error))"
        }
    }
}
