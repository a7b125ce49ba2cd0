import Foundation
import PostgresNIO
import QueryGateCore

/// A sync this process has claimed: the `database_sync_history` row that is its claim on the instance, and the
/// instance (with its credential variables) to list.
public struct SyncClaim: Sendable {
    public let runID: Int
    public let instance: DatabaseInstance
    public let trigger: SyncTrigger
    let workerID: String
}

/// How asking to start a sync now ended.
public enum SyncStart: Sendable {
    case claimed(SyncClaim)
    case alreadyRunning(SyncInProgress)
    case syncedRecently
}

/// How asking for a sync to be run by a worker of `querygate serve` ended.
public enum SyncRequestResult: Sendable, Equatable {
    case queued(SyncInProgress)
    /// One was queued or running already; no second was queued.
    case alreadyRunning(SyncInProgress)
}

/// Where to tell a Slack requester how their sync ended: an ephemeral message in the channel they typed in.
public struct SlackReplyTarget: Sendable, Equatable {
    public let user: String
    public let channel: String

    public init(user: String, channel: String) {
        self.user = user
        self.channel = channel
    }
}

extension PortalStore {
    /// The channel LISTEN/NOTIFY wakes sync workers on when a sync is queued.
    public static let syncChannel = "querygate_sync"

    /// Claims the instance for a sync that runs now, in this process: takes over a queued request for it if there
    /// is one, or opens a running row. Short, and holds nothing afterwards but the row: the listing that follows
    /// runs with no portal transaction open.
    ///
    /// - `lease`: how long the claim holds; it must outlast the listing's deadline and the finishing transaction.
    /// - `skipIfSyncedWithin`: a scheduled run leaves an instance whose last sync, by anyone, is that recent.
    /// - Throws: `ValidationError` for an unknown instance; portal database errors.
    public func beginSync(
        of name: InstanceName, trigger: SyncTrigger, by actor: AuditActor, worker: String, lease: Duration,
        skipIfSyncedWithin: Duration? = nil
    ) async throws -> SyncStart {
        let logger = self.logger
        let instance = try await syncableInstance(named: name)
        return try await transaction { connection in
            try await Self.closeAbandonedSyncs(on: connection, logger: logger)
            if let recent = skipIfSyncedWithin {
                let isRecent = try await connection.query(
                    """
                    SELECT coalesce(last_sync_at > now() - make_interval(secs => \(recent.timeInterval)), false)
                    FROM database_instances WHERE id = \(instance.id)
                    """,
                    logger: logger
                ).decode(Bool.self).first { _ in true } ?? false
                if isRecent { return .syncedRecently }
            }
            // A queued request is served by whoever comes first, this run included; it keeps its trigger and requester.
            let queued = try await connection.query(
                """
                UPDATE database_sync_history
                SET status = 'running', claimed_by = \(worker), started_at = clock_timestamp(),
                    lease_expires_at = clock_timestamp() + make_interval(secs => \(lease.timeInterval))
                WHERE instance_id = \(instance.id) AND status = 'queued'
                RETURNING id, triggered_via
                """,
                logger: logger
            ).decode((Int, String).self).first { _ in true }
            if let (id, via) = queued {
                return .claimed(SyncClaim(runID: id, instance: instance, trigger: try Self.trigger(via), workerID: worker))
            }
            let opened = try await connection.query(
                """
                INSERT INTO database_sync_history (instance_id, status, triggered_by, triggered_via, triggered_by_label,
                    claimed_by, lease_expires_at, started_at, requested_at)
                VALUES (\(instance.id), 'running', \(actor.userID), \(trigger.rawValue), \(actor.label),
                    \(worker), clock_timestamp() + make_interval(secs => \(lease.timeInterval)), clock_timestamp(), clock_timestamp())
                ON CONFLICT (instance_id) WHERE status IN ('queued', 'running') DO NOTHING
                RETURNING id
                """,
                logger: logger
            ).decode(Int.self).first { _ in true }
            if let id = opened {
                return .claimed(SyncClaim(runID: id, instance: instance, trigger: trigger, workerID: worker))
            }
            return .alreadyRunning(try await Self.unfinishedSync(of: instance, on: connection, logger: logger))
        }
    }

    /// Queues a sync of the instance for a worker of `querygate serve`, wakes the workers, and audits the request;
    /// when one is queued or running already, says so and queues nothing.
    /// - Throws: `ValidationError` for an unknown or deactivated instance, before anything is written.
    public func requestSync(
        of name: InstanceName, trigger: SyncTrigger, by actor: AuditActor, replyTo reply: SlackReplyTarget? = nil
    ) async throws -> SyncRequestResult {
        let logger = self.logger
        let instance = try await syncableInstance(named: name)
        return try await transaction { connection in
            try await Self.closeAbandonedSyncs(on: connection, logger: logger)
            let queued = try await connection.query(
                """
                INSERT INTO database_sync_history (instance_id, status, triggered_by, triggered_via, triggered_by_label,
                    reply_slack_user, reply_slack_channel, requested_at, started_at)
                VALUES (\(instance.id), 'queued', \(actor.userID), \(trigger.rawValue), \(actor.label),
                    \(reply?.user), \(reply?.channel), clock_timestamp(), clock_timestamp())
                ON CONFLICT (instance_id) WHERE status IN ('queued', 'running') DO NOTHING
                RETURNING id, requested_at
                """,
                logger: logger
            ).decode((Int, Date).self).first { _ in true }
            guard let (id, requestedAt) = queued else {
                return .alreadyRunning(try await Self.unfinishedSync(of: instance, on: connection, logger: logger))
            }
            try await Self.appendAudit(
                AuditEntry(actor: actor, action: .syncRequested, entityType: "database_instance", entityID: String(instance.id),
                           details: ["instance": instance.name, "via": trigger.rawValue]),
                on: connection, logger: logger)
            try await connection.query("SELECT pg_notify(\(Self.syncChannel), '')", logger: logger)
            return .queued(SyncInProgress(id: id, instanceName: instance.name, status: "queued", trigger: trigger,
                                          requestedBy: actor.label, requestedAt: requestedAt))
        }
    }

    /// Claims the oldest queued sync, if any (a replica skips one another replica is claiming).
    public func claimQueuedSync(worker: String, lease: Duration) async throws -> SyncClaim? {
        let logger = self.logger
        let claimed = try await transaction { connection -> (Int, String, String)? in
            try await Self.closeAbandonedSyncs(on: connection, logger: logger)
            return try await connection.query(
                """
                UPDATE database_sync_history
                SET status = 'running', claimed_by = \(worker), started_at = clock_timestamp(),
                    lease_expires_at = clock_timestamp() + make_interval(secs => \(lease.timeInterval))
                WHERE id = (SELECT id FROM database_sync_history WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, (SELECT name FROM database_instances i WHERE i.id = instance_id), triggered_via
                """,
                logger: logger
            ).decode((Int, String, String).self).first { _ in true }
        }
        guard let (id, name, via) = claimed else { return nil }
        // The instance cannot be gone: its history rows are deleted with it (ON DELETE CASCADE).
        guard let instance = try await listInstances(named: name).first else {
            throw UnexpectedPortalState("sync \(id) names instance \(name), which does not exist")
        }
        return SyncClaim(runID: id, instance: instance, trigger: try Self.trigger(via), workerID: worker)
    }

    /// The instance of a sync, or a `ValidationError` a person can act on.
    func syncableInstance(named name: InstanceName) async throws -> DatabaseInstance {
        try SyncRules.syncable(try await listInstances(named: name.rawValue).first, named: name, isActive: \.isActive)
    }

    /// Closes, as failed, every running sync whose claim has lapsed (the process running it stopped), so that its
    /// instance can be synced again, and tells a Slack requester.
    static func closeAbandonedSyncs(on connection: PostgresConnection, logger: Logger) async throws {
        let closed = try await connection.query(
            """
            WITH closed AS (
                UPDATE database_sync_history
                SET status = 'failed', finished_at = clock_timestamp(), lease_expires_at = NULL,
                    error_message = 'interrupted: the QueryGate process running it (' || coalesce(claimed_by, '?')
                        || ') stopped before it finished; nothing was changed'
                WHERE status = 'running' AND lease_expires_at < now()
                RETURNING instance_id, reply_slack_user, reply_slack_channel, error_message
            ), marked AS (
                UPDATE database_instances i SET last_sync_at = clock_timestamp(), last_sync_status = 'failed'
                FROM closed c WHERE i.id = c.instance_id
                RETURNING i.id, i.name
            )
            SELECT m.name, c.reply_slack_user, c.reply_slack_channel, c.error_message FROM closed c JOIN marked m ON m.id = c.instance_id
            """,
            logger: logger)
        for try await (instance, user, channel, message) in closed.decode((String, String?, String?, String).self) {
            logger.warning("closed a sync whose process stopped", metadata: ["instance": "\(instance)"])
            if let user, let channel {
                try await enqueue(.ephemeral, requestID: nil, recipient: user, channelID: channel,
                                  payload: ["text": SyncOutcome.failed(message).sentence(instance: instance)], on: connection, logger: logger)
            }
        }
    }

    static func unfinishedSync(of instance: DatabaseInstance, on connection: PostgresConnection, logger: Logger) async throws -> SyncInProgress {
        let row = try await connection.query(
            """
            SELECT id, status, triggered_via, triggered_by_label, requested_at FROM database_sync_history
            WHERE instance_id = \(instance.id) AND status IN ('queued', 'running')
            """,
            logger: logger
        ).decode((Int, String, String, String?, Date).self).first { _ in true }
        // The row that made the INSERT conflict can only have finished since, a race a retry settles.
        guard let (id, status, via, label, requestedAt) = row else { throw SyncClaimRace() }
        return SyncInProgress(id: id, instanceName: instance.name, status: status, trigger: try trigger(via), requestedBy: label,
                              requestedAt: requestedAt)
    }

    static func trigger(_ stored: String) throws -> SyncTrigger {
        guard let trigger = SyncTrigger(rawValue: stored) else {
            throw UnexpectedPortalState("database_sync_history.triggered_via holds '\(stored)', which this version never writes")
        }
        return trigger
    }
}

/// The unfinished sync that kept a new one from starting finished in between; trying again starts one.
struct SyncClaimRace: Error, CustomStringConvertible {
    var description: String { "another sync of this instance finished at this very moment: try again" }
}
