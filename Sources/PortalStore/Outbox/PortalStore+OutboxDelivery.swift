import Foundation
import PostgresNIO
import QueryGateCore

/// Delivering the Slack outbox. A worker claims one due notification with a short lease (as the executor claims
/// requests), makes the Slack call with no transaction open, renews the lease while the call lasts, and records
/// the outcome in a new short transaction. So a portal-database restart during a Slack call strands nothing, and a
/// slow Slack holds no portal connection.
///
/// A notification is due when its time has come, nobody holds a live lease on it, its parent message (for an
/// update or a thread reply) has been delivered, and no older notification about the same parent still waits, so
/// updates apply in order. A row whose worker died mid-call is due again once its lease expires: that message may
/// be sent twice, because QueryGate prefers a repeat to a loss.
extension PortalStore {
    /// A notification due for delivery.
    public struct OutboxMessage: Sendable, Equatable {
        public let id: Int
        public let type: NotificationType
        public let requestID: Int?
        /// A channel id, or a user id for direct and ephemeral messages.
        public let recipient: String
        /// Where a direct message conversation was opened before (kept so a retry does not open it again), or the
        /// channel of an ephemeral message.
        public let channelID: String?
        /// For an update: the channel and ts of the message it updates.
        public let parentChannelID: String?
        public let parentTS: String?
        public let payload: [String: String]
        public let attempts: Int

        public init(
            id: Int, type: NotificationType, requestID: Int?, recipient: String, channelID: String?, parentChannelID: String?,
            parentTS: String?, payload: [String: String], attempts: Int
        ) {
            self.id = id
            self.type = type
            self.requestID = requestID
            self.recipient = recipient
            self.channelID = channelID
            self.parentChannelID = parentChannelID
            self.parentTS = parentTS
            self.payload = payload
            self.attempts = attempts
        }
    }

    /// What became of one delivery attempt.
    public enum DeliveryResult: Sendable, Equatable {
        /// Delivered; `channelID` and `ts` identify the message Slack created (nil for ephemeral messages).
        case sent(channelID: String?, ts: String?)
        /// Worth another try later (a 5xx, a network error): after `delay`, counting an attempt.
        case retry(after: Duration, error: String)
        /// Slack asked us to slow down (HTTP 429): try again after `delay`, not counted as a failed attempt.
        case rateLimited(after: Duration)
        /// Will never succeed (channel_not_found, not_in_channel, invalid_auth…): recorded and not retried.
        case failed(error: String)
        /// A direct message conversation was opened; deliver again at once, into `channelID`.
        case conversationOpened(channelID: String)
    }

    /// Claims the oldest due notification for `workerID` until `lease` from now. Rows that need no Slack call (an
    /// update of a message that was never delivered, a type this version does not know) are recorded as failed here,
    /// and the next due row is looked at.
    ///
    /// The order check is asked only of rows with a parent, through `slack_notifications_pending_children_idx`
    /// (migration 016): written as a plain NOT EXISTS, the planner may join it against every waiting row, and a
    /// claim took 234 ms with 50,000 approval messages waiting behind Slack's rate limit.
    ///
    /// The row lock is `FOR NO KEY UPDATE`, not `FOR UPDATE`: a decision inserts update rows whose foreign key
    /// points at the approval message's row (a `FOR KEY SHARE` check), and `FOR UPDATE` would make the two wait on
    /// each other (seen, 40P01). It is held only for this short transaction.
    ///
    /// - Returns: nil when nothing is due.
    public func claimNextNotification(workerID: String, lease: Duration) async throws -> OutboxMessage? {
        let logger = self.logger
        return try await transaction { connection in
            while true {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: Self.nextDueNotificationSQL), logger: logger)
                guard let row = try await rows.first(where: { _ in true }) else { return nil }
                let (id, type, requestID, recipient, channelID, parentChannel, parentTS, parentStatus, payloadJSON, attempts, previousWorker) =
                    try row.decode((Int, String, Int?, String, String?, String?, String?, String?, String, Int, String?).self)

                // A row that cannot become a Slack call is recorded as failed here, and the next one looked at.
                let notificationType = NotificationType(rawValue: type)
                let payload = try? JSONDecoder().decode([String: String].self, from: Data(payloadJSON.utf8))
                guard parentStatus != "failed", let notificationType, let payload else {
                    let why =
                        parentStatus == "failed" ? "the message it updates was never delivered"
                        : notificationType == nil ? "unknown notification type \(type)" : "its payload is not an object of strings"
                    try await Self.markFailed(id, error: why, on: connection, logger: logger)
                    continue
                }
                try await connection.query(
                    """
                    UPDATE slack_notifications SET claimed_by = \(workerID), lease_expires_at = now() + make_interval(secs => \(lease.timeInterval))
                    WHERE id = \(id)
                    """,
                    logger: logger)
                // A claim is released when its outcome is recorded; one still here means its worker died mid-call.
                if let previousWorker {
                    logger.warning("took over a notification whose worker's lease expired mid-call; it may be sent twice",
                                   metadata: ["notification": "\(id)", "previous_worker": "\(previousWorker)"])
                }
                return OutboxMessage(id: id, type: notificationType, requestID: requestID, recipient: recipient,
                                     channelID: channelID, parentChannelID: parentChannel, parentTS: parentTS, payload: payload,
                                     attempts: attempts)
            }
        }
    }

    /// The oldest due notification, locked for this transaction (see `claimNextNotification`). A constant, with no
    /// value in it; a test reads its plan.
    static let nextDueNotificationSQL = """
        SELECT n.id, n.notification_type, n.request_id, n.recipient, n.channel_id, p.channel_id, p.message_ts,
               p.status, n.payload::text, n.attempts, n.claimed_by
        FROM slack_notifications n
        LEFT JOIN slack_notifications p ON p.id = n.parent_id
        WHERE n.status = 'pending' AND n.next_attempt_at <= now()
          AND (n.lease_expires_at IS NULL OR n.lease_expires_at < now())
          AND (n.parent_id IS NULL OR p.message_ts IS NOT NULL OR p.status = 'failed')
          AND (n.parent_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM slack_notifications e WHERE e.parent_id = n.parent_id AND e.id < n.id AND e.status = 'pending'))
        ORDER BY n.next_attempt_at, n.id
        LIMIT 1
        FOR NO KEY UPDATE OF n SKIP LOCKED
        """

    /// Extends this worker's claim on a notification during a long Slack call; false if it no longer holds it.
    public func renewNotificationLease(id: Int, workerID: String, lease: Duration) async throws -> Bool {
        try await client.query(
            """
            UPDATE slack_notifications SET lease_expires_at = now() + make_interval(secs => \(lease.timeInterval))
            WHERE id = \(id) AND status = 'pending' AND claimed_by = \(workerID)
            RETURNING id
            """,
            logger: logger
        ).decode(Int.self).first { _ in true } != nil
    }

    /// Records what became of a claimed notification, and releases the claim.
    ///
    /// A message Slack accepted is recorded as sent even when this worker's lease was lost meanwhile (the message
    /// exists; its ts is what later updates need). Any other outcome is recorded only while this worker still holds
    /// the claim, so it never overwrites a newer worker's record.
    public func recordDelivery(_ result: DeliveryResult, of message: OutboxMessage, workerID: String, maxAttempts: Int) async throws {
        let logger = self.logger
        let id = message.id
        try await transaction { connection in
            switch result {
            case .sent(let channelID, let ts):
                let updated = try await connection.query(
                    """
                    UPDATE slack_notifications
                    SET status = 'sent', sent_at = now(), attempts = attempts + 1, channel_id = COALESCE(\(channelID), channel_id),
                        message_ts = \(ts), last_error = NULL, claimed_by = NULL, lease_expires_at = NULL
                    WHERE id = \(id) AND status = 'pending'
                    RETURNING id
                    """,
                    logger: logger
                ).decode(Int.self).first { _ in true }
                if updated == nil {
                    logger.warning("a notification was delivered after another worker had already delivered it",
                                   metadata: ["notification": "\(id)"])
                }
                if message.type == .approvalRequest, let requestID = message.requestID, let channelID, let ts {
                    try await connection.query(
                        "UPDATE query_requests SET slack_channel_id = \(channelID), slack_message_ts = \(ts) WHERE id = \(requestID)",
                        logger: logger)
                }
            case .conversationOpened(let channelID):
                let held = try await Self.updated(
                    """
                    UPDATE slack_notifications SET channel_id = \(channelID), claimed_by = NULL, lease_expires_at = NULL
                    WHERE id = \(id) AND claimed_by = \(workerID) RETURNING id
                    """, on: connection, logger: logger)
                if !held { Self.logLostClaim(id, outcome: "a conversation opened", logger: logger) }
            case .rateLimited(let delay):
                let held = try await Self.updated(
                    """
                    UPDATE slack_notifications SET next_attempt_at = now() + make_interval(secs => \(delay.timeInterval)), last_error = 'rate limited',
                           claimed_by = NULL, lease_expires_at = NULL
                    WHERE id = \(id) AND claimed_by = \(workerID) RETURNING id
                    """, on: connection, logger: logger)
                if !held { Self.logLostClaim(id, outcome: "rate limited", logger: logger) }
            case .retry(let delay, let error) where message.attempts + 1 < maxAttempts:
                let held = try await Self.updated(
                    """
                    UPDATE slack_notifications
                    SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => \(delay.timeInterval)), last_error = \(error),
                        claimed_by = NULL, lease_expires_at = NULL
                    WHERE id = \(id) AND claimed_by = \(workerID) RETURNING id
                    """, on: connection, logger: logger)
                if !held { Self.logLostClaim(id, outcome: "to be retried", logger: logger) }
            case .retry(_, let error), .failed(let error):
                let held = try await Self.updated(
                    """
                    UPDATE slack_notifications SET status = 'failed', attempts = attempts + 1, last_error = \(error),
                           claimed_by = NULL, lease_expires_at = NULL
                    WHERE id = \(id) AND claimed_by = \(workerID) RETURNING id
                    """, on: connection, logger: logger)
                // Only a record that landed is a failure for good: a worker that lost its claim failed one attempt,
                // and the worker holding the claim now may still deliver it.
                if held {
                    logger.error("Slack notification failed for good", metadata: ["notification": "\(id)", "error": "\(error)"])
                } else {
                    Self.logLostClaim(id, outcome: "failed", logger: logger)
                }
            }
        }
    }

    /// Whether an `UPDATE … RETURNING id` changed a row.
    private static func updated(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query(query, logger: logger).decode(Int.self).first { _ in true } != nil
    }

    /// A worker whose lease lapsed before it recorded a delivery's outcome records nothing: another worker has
    /// claimed the notification since (or delivered it), and its record is the one that counts.
    private static func logLostClaim(_ id: Int, outcome: String, logger: Logger) {
        logger.notice("a notification's claim lapsed before its outcome was recorded; the worker that holds it now records its own",
                      metadata: ["notification": "\(id)", "outcome": "\(outcome)"])
    }

    private static func markFailed(_ id: Int, error: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "UPDATE slack_notifications SET status = 'failed', last_error = \(error) WHERE id = \(id)", logger: logger)
        logger.error("Slack notification failed for good", metadata: ["notification": "\(id)", "error": "\(error)"])
    }

    /// How many notifications wait, and how many failed for good: for tests and for operators.
    public func outboxCounts() async throws -> (pending: Int, sent: Int, failed: Int) {
        let rows = try await client.query(
            """
            SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'sent'),
                   count(*) FILTER (WHERE status = 'failed')
            FROM slack_notifications
            """,
            logger: logger)
        return try await rows.decode((Int, Int, Int).self).first { _ in true } ?? (0, 0, 0)
    }
}
