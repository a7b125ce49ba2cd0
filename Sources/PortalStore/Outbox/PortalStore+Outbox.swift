import Foundation
import PostgresNIO
import QueryGateCore

/// The Slack outbox: rows of `slack_notifications`, written in the transaction of the change that causes them,
/// delivered later by the outbox worker. A row says what to send (its type, recipient and a few facts); the
/// worker renders the message from the request's state at delivery time, so an update never shows stale state.
extension PortalStore {
    /// The channel LISTEN/NOTIFY wakes outbox workers on when a notification is queued.
    public static let outboxChannel = "querygate_outbox"

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
        try await connection.query("SELECT pg_notify(\(Self.outboxChannel), '')", logger: logger)
    }

    /// Queues a `chat.update` of the request's approval message (which waits for that message's ts) and the Home
    /// tabs' refreshes. Every change of a request's state comes through here; the rule is in the portal database
    /// (`querygate_enqueue_approval_update`, migration 014), which the one-statement decision calls too.
    static func enqueueApprovalUpdate(requestID: Int, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT querygate_enqueue_approval_update(\(requestID))", logger: logger)
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

    /// Queues a direct message to the request's requester, if they have a Slack account
    /// (`querygate_enqueue_direct_message`, migration 014).
    static func enqueueDirectMessage(requestID: Int, event: RequestEvent, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT querygate_enqueue_direct_message(\(requestID), \(event.rawValue))", logger: logger)
    }

    /// Queues a message that only `user` sees, in `channel`.
    public func enqueueEphemeral(text: String, to user: String, in channel: String, requestID: Int? = nil) async throws {
        let logger = self.logger
        try await transaction { connection in
            try await Self.enqueue(.ephemeral, requestID: requestID, recipient: user, channelID: channel, payload: ["text": text],
                                   on: connection, logger: logger)
        }
    }
}
