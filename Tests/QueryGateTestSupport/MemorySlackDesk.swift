import Foundation
import PortalStore
import QueryGateCore

/// An answer the Slack routes queued for the outbox worker, as the twin keeps it instead of a `slack_notifications`
/// row.
public enum QueuedAnswer: Sendable, Equatable {
    /// A message only `user` sees, in `channel`.
    case ephemeral(text: String, user: String, channel: String, requestID: Int?)
    /// A republish of `user`'s Home tab, with `notice` on top.
    case homeTab(user: String, notice: String?)
    /// A reminder in the thread of the request's approval message.
    case reminder(requestID: Int)
}

/// `SlackDesk` in memory: what Slack's routes need beyond the API's requests, decided with the same core rules as
/// `PortalStore` (`RequestWorkflow.judge`, `Reminders.judgeNudge`). `SlackDeskContractTests` holds it to the same
/// stories as the PostgreSQL store.
extension MemoryRequestRepository: SlackDesk {
    public func user(slackUserID: String) async throws -> User? {
        users.values.first { $0.slackUserID == slackUserID }
    }

    public func submit(_ request: NewRequest, bySlackUser slackUserID: String, via source: AuditSource) async throws -> PortalStore.SlackSubmission {
        guard let user = try await user(slackUserID: slackUserID) else { return .stranger }
        guard user.isActive else { return .deactivated }
        return .submitted(try await submit(request, by: user, via: source))
    }

    public func decisionContext(slackUserID: String, requestID: Int) async throws -> (user: User?, facts: DecisionFacts?) {
        (try await user(slackUserID: slackUserID), facts(of: requestID))
    }

    /// The actor's isolation means no decision lands between `decisionContext` and this one, so judging on the
    /// facts as they are now gives what `PortalStore` gives after judging `known` and, if stale, fresh facts.
    public func approve(requestID: Int, by decider: User, via source: AuditSource, knowing known: DecisionFacts?) async throws -> DecisionOutcome {
        decide(.approve, requestID: requestID, by: decider, via: source)
    }

    public func checkDecision(requestID: Int, by user: User, via source: AuditSource, knowing known: DecisionFacts?) async throws -> DecisionOutcome? {
        let decision = Decision.reject(reason: "")
        let verdict = RequestWorkflow.judge(decision, by: user, on: facts(of: requestID))
        if let answer = answerAudited(verdict, of: decision, on: requestID, by: user, via: source) { return answer }
        audit.append(Audited(action: .rejectionStarted, requestID: requestID, actor: user.email, source: source, details: [:]))
        return nil
    }

    public func audit(_ actor: AuditActor, action: AuditAction, entityType: String, entityID: String?, details: [String: String]) async throws {
        audit.append(Audited(action: action, requestID: entityType == "query_request" ? entityID.flatMap { Int($0) } : nil,
                             actor: actor.label, source: actor.source, details: details))
    }

    public func recentRequests(ofUser userID: Int, limit: Int) async throws -> [RequestDetails] {
        Array(records.values.filter { $0.requesterID == userID }.sorted { $0.id > $1.id }.prefix(limit).compactMap(details))
    }

    public func nudgeApprovers(requestID: Int, by user: User, via source: AuditSource) async throws -> Reminders.NudgeVerdict {
        let now = Date()
        let verdict = Reminders.judgeNudge(by: user, on: facts(of: requestID), lastNudgedAt: records[requestID]?.nudgedAt, now: now)
        guard verdict == .remind else { return verdict }
        records[requestID]?.nudgedAt = now
        queued.append(.reminder(requestID: requestID))
        audit.append(Audited(action: .approversReminded, requestID: requestID, actor: user.email, source: source, details: ["kind": "nudge"]))
        return .remind
    }

    /// As `PortalStore`: a republish without a notice is not queued while one for the same person waits (the twin
    /// has no worker, so every queued one waits).
    public func publishHomeTab(for slackUserID: String, notice: String?) async throws {
        homeTabOpened.insert(slackUserID)
        let waiting = queued.contains { if case .homeTab(slackUserID, _) = $0 { true } else { false } }
        if notice == nil, waiting { return }
        queued.append(.homeTab(user: slackUserID, notice: notice))
    }

    public func enqueueEphemeral(text: String, to user: String, in channel: String, requestID: Int?) async throws {
        queued.append(.ephemeral(text: text, user: user, channel: channel, requestID: requestID))
    }
}
