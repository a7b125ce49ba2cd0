import QueryGateCore

/// What Slack's routes need of the portal database beyond the API's requests (`RequestRepository`) and directory
/// (`Directory`): the person behind a Slack account, a click's clicker and request read together, decisions judged on
/// those facts, the requester's reminder, and the answers a click gets later, through the outbox (an ephemeral
/// message, a republished Home tab), since Slack's 3 seconds are not enough to post them.
///
/// `PortalStore` is the implementation on PostgreSQL (its own tests, against the real server, cover its SQL, its
/// outbox rows and its concurrency); the tests' `MemoryRequestRepository` is also a twin of this, held to the same
/// contract by `SlackDeskContractTests`, so that tests of Slack's routes need no database.
///
/// As in `Directory`, no requirement has a default argument: the routes say every argument.
public protocol SlackDesk: RequestRepository {
    /// The portal user linked to this Slack account, active or not; nil for a stranger.
    func user(slackUserID: String) async throws -> User?
    /// `submit(_:by:via:)` for the person behind a Slack account, looked up with the recording (`/query`'s one
    /// round trip): `.stranger` and `.deactivated` record nothing, as `user(slackUserID:)` would have told.
    /// - Throws: `ValidationError` as `submit(_:by:via:)` does.
    func submit(_ request: NewRequest, bySlackUser slackUserID: String, via source: AuditSource) async throws -> PortalStore.SlackSubmission
    /// The person behind a Slack account and the facts of the request they clicked on, read together
    /// (`nil`s: no such person, no such request).
    func decisionContext(slackUserID: String, requestID: Int) async throws -> (user: User?, facts: DecisionFacts?)
    /// An approval judged first on `known`, the facts `decisionContext` read (judged again on fresh ones if the
    /// request changed since).
    func approve(requestID: Int, by decider: User, via source: AuditSource, knowing known: DecisionFacts?) async throws -> DecisionOutcome
    /// Whether `user` may reject the request now, without deciding (nil: yes), audited either way: the Reject
    /// button asks before it opens the form for the reason.
    func checkDecision(requestID: Int, by user: User, via source: AuditSource, knowing known: DecisionFacts?) async throws -> DecisionOutcome?
    /// One audit row, for an act that no other requirement records (a click by a stranger, or on no request).
    func audit(_ actor: AuditActor, action: AuditAction, entityType: String, entityID: String?, details: [String: String]) async throws
    /// The newest requests `userID` made, newest first (`/query list`).
    func recentRequests(ofUser userID: Int, limit: Int) async throws -> [RequestDetails]
    /// `/query remind N`: judged by `Reminders.judgeNudge`; a reminder is queued and audited only on `.remind`.
    func nudgeApprovers(requestID: Int, by user: User, via source: AuditSource) async throws -> Reminders.NudgeVerdict
    /// Queues a republish of this person's Home tab (and keeps it up to date from now on), with `notice` on top.
    func publishHomeTab(for slackUserID: String, notice: String?) async throws
    /// Queues a message that only `user` sees, in `channel`; `requestID` only for a request known to exist.
    func enqueueEphemeral(text: String, to user: String, in channel: String, requestID: Int?) async throws
}

extension PortalStore: SlackDesk {}
