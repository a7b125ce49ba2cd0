import Foundation
import PostgresNIO
import QueryGateCore

/// The Slack outbox: rows of `slack_notifications`, written in the transaction of the change that causes them,
/// delivered later by the outbox worker. A row says what to send (its type, recipient and a few facts); the
/// worker renders the message from the request's state at delivery time, so an update never shows stale state.
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

    static func enqueue(
        _ type: NotificationType, requestID: Int?, recipient: String, parentID: Int? = nil, channelID: String? = nil,
        payload: [String: String] = [:], on connection: PostgresConnection, logger: Logger
    ) async throws {
        let json = String(decoding: try JSONEncoder.sorted.encode(payload), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO slack_notifications (request_id, notification_type, recipient, parent_id, channel_id, payload)
            VALUES (\(requestID), \(type.rawValue), \(recipient), \(parentID), \(channelID), \(json)::jsonb)
            """,
            logger: logger
        )
        try await connection.query("SELECT pg_notify('querygate_outbox', '')", logger: logger)
    }

    /// Queues a `chat.update` of the request's approval message (which waits for that message's ts).
    static func enqueueApprovalUpdate(requestID: Int, on connection: PostgresConnection, logger: Logger) async throws {
        guard let (parentID, channel) = try await approvalMessage(of: requestID, on: connection, logger: logger) else { return }
        try await enqueue(.approvalUpdate, requestID: requestID, recipient: channel, parentID: parentID, on: connection, logger: logger)
    }

    /// The outbox row of the request's approval message, and its channel: what updates and thread replies hang on.
    static func approvalMessage(of requestID: Int, on connection: PostgresConnection, logger: Logger) async throws -> (Int, String)? {
        try await connection.query(
            """
            SELECT id, recipient FROM slack_notifications
            WHERE request_id = \(requestID) AND notification_type = 'approval_request'
            ORDER BY id LIMIT 1
            """,
            logger: logger
        ).decode((Int, String).self).first { _ in true }
    }

    /// Queues a direct message to the request's requester, if they have a Slack account.
    static func enqueueDirectMessage(requestID: Int, event: RequestEvent, on connection: PostgresConnection, logger: Logger) async throws {
        let slackID = try await connection.query(
            "SELECT u.slack_user_id FROM query_requests r JOIN users u ON u.id = r.requester_id WHERE r.id = \(requestID)",
            logger: logger
        ).decode(String?.self).first { _ in true }
        guard let slackID = slackID ?? nil else { return }
        try await enqueue(.directMessage, requestID: requestID, recipient: slackID, payload: ["event": event.rawValue],
                          on: connection, logger: logger)
    }

    /// Queues a message that only `user` sees, in `channel`.
    public func enqueueEphemeral(text: String, to user: String, in channel: String, requestID: Int? = nil) async throws {
        let logger = self.logger
        try await transaction { connection in
            try await Self.enqueue(.ephemeral, requestID: requestID, recipient: user, channelID: channel, payload: ["text": text],
                                   on: connection, logger: logger)
        }
    }

    /// Claims the oldest due notification, lets `deliver` send it, and records the result, all in one
    /// transaction that holds the row's lock: concurrent workers (in this process or another replica) skip it,
    /// and a crash before the record leaves it pending rather than lost.
    ///
    /// The row lock is `FOR NO KEY UPDATE`, not `FOR UPDATE`: a decision inserts update rows whose foreign key
    /// points at the approval message's row (a `FOR KEY SHARE` check), and `FOR UPDATE` would block that while this
    /// transaction waits for the decision's lock on the request: a deadlock (seen, 40P01).
    ///
    /// A notification is due when its time has come, its parent message (for an update) has been delivered,
    /// and no older notification about the same parent is still waiting, so updates apply in order.
    ///
    /// - Returns: false when nothing was due.
    public func deliverNextNotification(
        maxAttempts: Int, _ deliver: @Sendable (OutboxMessage) async -> DeliveryResult
    ) async throws -> Bool {
        let logger = self.logger
        return try await transaction { connection in
            let rows = try await connection.query(
                """
                SELECT n.id, n.notification_type, n.request_id, n.recipient, n.channel_id, p.channel_id, p.message_ts,
                       p.status, n.payload::text, n.attempts
                FROM slack_notifications n
                LEFT JOIN slack_notifications p ON p.id = n.parent_id
                WHERE n.status = 'pending' AND n.next_attempt_at <= now()
                  AND (n.parent_id IS NULL OR p.message_ts IS NOT NULL OR p.status = 'failed')
                  AND NOT EXISTS (SELECT 1 FROM slack_notifications e
                                  WHERE e.parent_id = n.parent_id AND e.id < n.id AND e.status = 'pending')
                ORDER BY n.next_attempt_at, n.id
                LIMIT 1
                FOR NO KEY UPDATE OF n SKIP LOCKED
                """,
                logger: logger
            )
            guard let row = try await rows.first(where: { _ in true }) else { return false }
            let (id, type, requestID, recipient, channelID, parentChannel, parentTS, parentStatus, payloadJSON, attempts) = try row.decode(
                (Int, String, Int?, String, String?, String?, String?, String?, String, Int).self)

            if parentStatus == "failed" {
                try await Self.record(.failed(error: "the message it updates was never delivered"), for: id, type: nil, requestID: nil,
                                      attempts: attempts, maxAttempts: maxAttempts, on: connection, logger: logger)
                return true
            }
            let payload = (try? JSONDecoder().decode([String: String].self, from: Data(payloadJSON.utf8))) ?? [:]
            guard let notificationType = NotificationType(rawValue: type) else {
                try await Self.record(.failed(error: "unknown notification type \(type)"), for: id, type: nil, requestID: nil,
                                      attempts: attempts, maxAttempts: maxAttempts, on: connection, logger: logger)
                return true
            }
            let message = OutboxMessage(id: id, type: notificationType, requestID: requestID, recipient: recipient, channelID: channelID,
                                        parentChannelID: parentChannel, parentTS: parentTS, payload: payload, attempts: attempts)
            let result = await deliver(message)
            try await Self.record(result, for: id, type: notificationType, requestID: requestID, attempts: attempts,
                                  maxAttempts: maxAttempts, on: connection, logger: logger)
            return true
        }
    }

    private static func record(
        _ result: DeliveryResult, for id: Int, type: NotificationType?, requestID: Int?, attempts: Int, maxAttempts: Int,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        switch result {
        case .sent(let channelID, let ts):
            try await connection.query(
                """
                UPDATE slack_notifications
                SET status = 'sent', sent_at = now(), attempts = attempts + 1, channel_id = COALESCE(\(channelID), channel_id),
                    message_ts = \(ts), last_error = NULL
                WHERE id = \(id)
                """,
                logger: logger)
            if type == .approvalRequest, let requestID, let channelID, let ts {
                try await connection.query(
                    "UPDATE query_requests SET slack_channel_id = \(channelID), slack_message_ts = \(ts) WHERE id = \(requestID)",
                    logger: logger)
            }
        case .conversationOpened(let channelID):
            try await connection.query(
                "UPDATE slack_notifications SET channel_id = \(channelID) WHERE id = \(id)", logger: logger)
        case .rateLimited(let delay):
            try await connection.query(
                """
                UPDATE slack_notifications SET next_attempt_at = now() + make_interval(secs => \(delay.seconds)), last_error = 'rate limited'
                WHERE id = \(id)
                """,
                logger: logger)
        case .retry(let delay, let error) where attempts + 1 < maxAttempts:
            try await connection.query(
                """
                UPDATE slack_notifications
                SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => \(delay.seconds)), last_error = \(error)
                WHERE id = \(id)
                """,
                logger: logger)
        case .retry(_, let error), .failed(let error):
            try await connection.query(
                "UPDATE slack_notifications SET status = 'failed', attempts = attempts + 1, last_error = \(error) WHERE id = \(id)",
                logger: logger)
            logger.error("Slack notification failed for good", metadata: ["notification": "\(id)", "error": "\(error)"])
        }
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

extension Duration {
    /// Whole and fractional seconds, for SQL intervals.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
