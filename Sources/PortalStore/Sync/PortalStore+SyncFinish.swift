import Foundation
import PostgresNIO
import QueryGateCore

extension PortalStore {
    /// The longest the transaction that finishes a sync may take. A sync's lease must outlast its listing and this.
    public static let syncFinishDeadline: Duration = .seconds(10)

    /// Syncs one instance now: claims it (`beginSync`), lists its databases with `list` while no portal transaction
    /// is open, and finishes (`finishSync`). What the CLI and the schedule run; the API and Slack queue instead.
    ///
    /// `list` throws a failure whose message names no secret; it must end within `lease` less
    /// `syncFinishDeadline`.
    public func syncInstance(
        named name: InstanceName, trigger: SyncTrigger, by actor: AuditActor, worker: String, lease: Duration,
        skipIfSyncedWithin: Duration? = nil, list: @escaping @Sendable (DatabaseInstance) async throws -> DatabaseListing
    ) async throws -> SyncOutcome {
        switch try await beginSync(of: name, trigger: trigger, by: actor, worker: worker, lease: lease, skipIfSyncedWithin: skipIfSyncedWithin) {
        case .syncedRecently: return .syncedRecently
        case .alreadyRunning(let running): return .alreadyRunning(running)
        case .claimed(let claim): return try await run(claim, list: list)
        }
    }

    /// Lists and finishes a claimed sync.
    public func run(_ claim: SyncClaim, list: @escaping @Sendable (DatabaseInstance) async throws -> DatabaseListing) async throws -> SyncOutcome {
        let listed: Result<DatabaseListing, ExecutionFailure>
        do {
            listed = .success(try await list(claim.instance))
        } catch {
            listed = .failure(ExecutionFailure(message: Self.syncFailureMessage(error)))
        }
        return try await finishSync(claim, listed: listed)
    }

    /// Reconciles the registry with what the listing found (or records why there is nothing to reconcile), closes
    /// the run's history row and tells a Slack requester, all in one transaction. Runs to its end even while the
    /// process shuts down, within `syncFinishDeadline`.
    ///
    /// - A failed listing changes no `databases` row.
    /// - A reconcile the portal database refuses is rolled back whole and recorded as failed on its own.
    /// - A claim that lapsed meanwhile (another process closed it as interrupted) changes nothing.
    /// - Throws: when the portal database cannot record the outcome; the row then stays running until its lease
    ///   lapses and the next sync closes it as interrupted.
    public func finishSync(_ claim: SyncClaim, listed: Result<DatabaseListing, ExecutionFailure>) async throws -> SyncOutcome {
        do {
            return try await withoutCancellation(Self.syncFinishDeadline, "finishing the sync of \(claim.instance.name)") { [self] in
                try await close(claim, listed: listed)
            }
        } catch let error where listed.isSuccess && !Self.isUnavailability(error) {
            // Refused on the portal side (a statement the server rejects): nothing of the reconcile was applied.
            let message = Self.syncFailureMessage(error)
            logger.error("database sync failed on the portal side", metadata: ["instance": "\(claim.instance.name)", "error": "\(message)"])
            return try await withoutCancellation(Self.syncFinishDeadline, "recording the failed sync of \(claim.instance.name)") { [self] in
                try await close(claim, listed: .failure(ExecutionFailure(message: message)))
            }
        }
    }

    private func close(_ claim: SyncClaim, listed: Result<DatabaseListing, ExecutionFailure>) async throws -> SyncOutcome {
        let logger = self.logger
        let instance = claim.instance
        return try await transaction { connection in
            let reply = try await connection.query(
                """
                SELECT reply_slack_user, reply_slack_channel FROM database_sync_history
                WHERE id = \(claim.runID) AND status = 'running' AND claimed_by = \(claim.workerID)
                FOR UPDATE
                """,
                logger: logger
            ).decode((String?, String?).self).first { _ in true }
            guard let (replyUser, replyChannel) = reply else {
                return .failed("interrupted: this sync's claim lapsed before it finished, and another process closed it; nothing was changed")
            }
            let outcome: SyncOutcome
            switch listed {
            case .success(let listing):
                var hidden: Set<String> = []
                if let own = try await Self.portalDatabase(on: connection, logger: logger), own.server == listing.serverIdentity {
                    // QueryGate's own tables (users, sessions, every request) are never a target, whatever the blacklist says.
                    hidden.insert(own.name)
                    logger.notice("instance is the portal database's server: its own database is never registered",
                                  metadata: ["instance": "\(instance.name)", "database": "\(own.name)"])
                }
                outcome = .succeeded(try await Self.reconcile(instanceID: instance.id, listed: listing.names, hidden: hidden,
                                                              on: connection, logger: logger))
            case .failure(let failure):
                outcome = .failed(failure.message)
            }
            try await Self.record(outcome, of: claim, on: connection, logger: logger)
            if let replyUser, let replyChannel {
                try await Self.enqueue(.ephemeral, requestID: nil, recipient: replyUser, channelID: replyChannel,
                                       payload: ["text": outcome.sentence(instance: instance.name)], on: connection, logger: logger)
            }
            return outcome
        }
    }

    /// Whether an error means the portal database could not be reached or did not answer in time, as opposed to
    /// refusing a statement: only a refusal is worth recording in a second transaction.
    static func isUnavailability(_ error: any Error) -> Bool {
        if error is DeadlineExceeded || error is PortalUnavailable { return true }
        if let error = error as? PSQLError { return error.serverInfo == nil }
        return false
    }

    /// The portal database's name and its server's system identifier. `pg_control_system()` is asked inside a
    /// savepoint, so that a server that refuses it (a managed service may) costs the answer and not the transaction.
    static func portalDatabase(on connection: PostgresConnection, logger: Logger) async throws -> (name: String, server: String)? {
        try await connection.query("SAVEPOINT portal_identity", logger: logger)
        do {
            let row = try await connection.query(
                "SELECT current_database()::text, (SELECT system_identifier::text FROM pg_control_system())", logger: logger
            ).decode((String, String).self).first { _ in true }
            try await connection.query("RELEASE SAVEPOINT portal_identity", logger: logger)
            return row.map { (name: $0.0, server: $0.1) }
        } catch let error as PSQLError where error.serverInfo != nil {
            try await connection.query("ROLLBACK TO SAVEPOINT portal_identity", logger: logger)
            logger.warning("cannot read the portal server's system identifier; an instance on the same server would list the portal database",
                           metadata: ["error": "\(syncFailureMessage(error))"])
            return nil
        }
    }

    /// Applies the plan with a few set-based statements, never one per database. `hidden` names are skipped like
    /// blacklisted ones.
    static func reconcile(
        instanceID: Int, listed: [String], hidden: Set<String> = [], on connection: PostgresConnection, logger: Logger
    ) async throws -> SyncCounts {
        var blacklisted = hidden
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

    /// Closes the run's row with its outcome, and sets the instance's last sync.
    static func record(_ outcome: SyncOutcome, of claim: SyncClaim, on connection: PostgresConnection, logger: Logger) async throws {
        let (status, counts, error): (String, SyncCounts?, String?)
        switch outcome {
        case .succeeded(let succeeded): (status, counts, error) = ("succeeded", succeeded, nil)
        case .failed(let message): (status, counts, error) = ("failed", nil, message)
        case .alreadyRunning, .syncedRecently: return
        }
        try await connection.query(
            """
            UPDATE database_sync_history
            SET status = \(status), databases_found = \(counts?.found ?? 0), databases_added = \(counts?.added ?? 0),
                databases_reactivated = \(counts?.reactivated ?? 0), databases_marked_missing = \(counts?.markedMissing ?? 0),
                databases_skipped = \(counts?.skipped ?? 0), error_message = \(error), finished_at = clock_timestamp(),
                lease_expires_at = NULL
            WHERE id = \(claim.runID)
            """,
            logger: logger)
        try await connection.query(
            "UPDATE database_instances SET last_sync_at = clock_timestamp(), last_sync_status = \(status) WHERE id = \(claim.instance.id)",
            logger: logger)
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

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
