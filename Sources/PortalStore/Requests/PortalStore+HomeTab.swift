import PostgresNIO
import QueryGateCore

/// Slack's Home tab: what it shows for a person, and the outbox rows that republish it. A tab is republished when
/// a request it shows changes, for the people who have opened it at least once (`users.home_opened_at`); one
/// queued row per person is enough, since the view is rendered from the current state when it is delivered. The
/// refreshes are queued by `querygate_refresh_home_tabs` (migrations 013, 015), with every change of a request's state,
/// for the people `RequestVisibility` lets see the request (`SubmissionRulesContractTests` hold the SQL to it).
extension PortalStore {
    /// What one person's Home tab shows: the pending requests that wait for their decision
    /// (`RequestWorkflow.awaitsDecision`), newest first, and their own recent requests.
    public func homeTab(for user: User) async throws -> (decisions: [RequestDetails], recent: [RequestDetails]) {
        var pending: [RequestDetails] = []
        if RequestWorkflow.decidesAny(user) {
            pending = try await listRequests(RequestFilter(status: .pending), visibleTo: user, page: try PageRequest(size: PageRequest.maximumSize)).requests
        }
        let recent = try await recentRequests(ofUser: user.id, limit: 10)
        return (pending.filter { RequestWorkflow.awaitsDecision(of: user, on: $0) }, recent)
    }

    /// The person opened the Home tab: remember it (their tab is kept up to date from now on) and publish it.
    /// `notice` is shown on top (what became of a click in the tab).
    public func publishHomeTab(for slackUserID: String, notice: String? = nil) async throws {
        let logger = self.logger
        try await transaction { connection in
            try await connection.query(
                "UPDATE users SET home_opened_at = coalesce(home_opened_at, now()) WHERE slack_user_id = \(slackUserID)", logger: logger)
            var payload: [String: String] = [:]
            payload["notice"] = notice
            if notice == nil, try await Self.homeTabQueued(for: slackUserID, on: connection, logger: logger) { return }
            try await Self.enqueue(.homeTab, requestID: nil, recipient: slackUserID, payload: payload, on: connection, logger: logger)
        }
    }

    /// Whether a republish of this person's tab is queued and not yet taken by a worker (which will render the
    /// state as it is then).
    private static func homeTabQueued(for slackUserID: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query(
            """
            SELECT 1 FROM slack_notifications
            WHERE notification_type = \(NotificationType.homeTab.rawValue) AND recipient = \(slackUserID)
              AND status = 'pending' AND claimed_by IS NULL
            LIMIT 1
            """, logger: logger
        ).decode(Int.self).first { _ in true } != nil
    }
}
