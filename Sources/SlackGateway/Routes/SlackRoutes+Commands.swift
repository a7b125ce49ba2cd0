import Foundation
import Hummingbird
import Logging
import PortalStore
import QueryGateCore

extension SlackRoutes {
    /// `/query …`: answered in the HTTP response, ephemerally, except the form, which opens as a modal.
    func command(_ slashCommand: SlashCommand) async throws -> Response {
        if slashCommand.isSSLCheck { return SlackResponses.acknowledge() }
        guard let userID = slashCommand.userID, (try? SlackUserID(userID, field: "user_id")) != nil,
              let channelID = slashCommand.channelID, SlackConversationID.isValid(channelID)
        else {
            return SlackResponses.plain(.badRequest, "a slash command needs a Slack user_id and channel_id")
        }
        let command = Result { () throws(ValidationError) in try QueryCommand.parse(slashCommand.text ?? "") }
        // A well-formed submission looks its person up in the statement that records it: one round trip, the
        // commonest and busiest command. Anything else asks who it is first, so that a stranger learns only that.
        if case .success(.submit(let target, let type, let reason, let query)) = command,
           let request = try? NewRequest(target: target, queryText: query, reason: reason, submissionType: type)
        {
            return try await submit(request, bySlackUser: userID)
        }

        let user: User
        switch try await member(userID) {
        case .success(let found): user = found
        case .failure(let noAccess): return SlackResponses.ephemeral(noAccess.message)
        }

        let parsed: QueryCommand
        do {
            parsed = try command.get()
        } catch {
            return SlackResponses.ephemeral(error.message + "\n`/query help` shows every form.")
        }

        switch parsed {
        case .help:
            return SlackResponses.ephemeral(Replies.help)
        case .openForm:
            return await openForm(triggerID: slashCommand.triggerID, channelID: channelID)
        case .list:
            return SlackResponses.ephemeral(Replies.list(try await desk.recentRequests(ofUser: user.id, limit: 10)))
        case .status(let id):
            guard let request = try await desk.requestDetails(id: id), RequestVisibility.allows(user, toSee: request) else {
                return SlackResponses.ephemeral(Replies.noSuchRequest(id))
            }
            let blocks = Replies.status(request)
            return SlackResponses.ephemeral(ApprovalMessage.render(request).text, blocks: blocks)
        case .cancel(let id):
            switch try await desk.cancel(requestID: id, by: user, via: .slack) {
            case .decided, .approvalRecorded: return SlackResponses.ephemeral("Request #\(id) is cancelled.")
            case .refused(let why): return SlackResponses.ephemeral(Replies.refused(id, why))
            case .alreadyDecided(let status): return SlackResponses.ephemeral(Replies.alreadyDecided(id, status))
            case .notFound: return SlackResponses.ephemeral(Replies.noSuchRequest(id))
            }
        case .remind(let id):
            return SlackResponses.ephemeral(Replies.nudged(id, try await desk.nudgeApprovers(requestID: id, by: user, via: .slack)))
        case .sync(let instance):
            return SlackResponses.ephemeral(try await requestSync(of: instance, by: user, slackUser: userID, in: channelID))
        case .submit(let target, let type, let reason, let query):
            // Here when its fields are refused (a well-formed one was submitted above, its person with it).
            do {
                let request = try NewRequest(target: target, queryText: query, reason: reason, submissionType: type)
                let submitted = try await desk.submit(request, by: user, via: .slack)
                return SlackResponses.ephemeral(Replies.submitted(submitted))
            } catch let error as ValidationError {
                return SlackResponses.ephemeral(error.message + "\n`/query help` shows every form.")
            }
        }
    }

    /// A submission by the person behind `slackUserID`, answered as every command answers a stranger, a
    /// deactivated person or a refusal.
    private func submit(_ request: NewRequest, bySlackUser slackUserID: String) async throws -> Response {
        do {
            switch try await desk.submit(request, bySlackUser: slackUserID, via: .slack) {
            case .submitted(let submitted): return SlackResponses.ephemeral(Replies.submitted(submitted))
            case .stranger: return SlackResponses.ephemeral(NoAccess(isDeactivated: false).message)
            case .deactivated: return SlackResponses.ephemeral(NoAccess(isDeactivated: true).message)
            }
        } catch let error as ValidationError {
            return SlackResponses.ephemeral(error.message + "\n`/query help` shows every form.")
        }
    }

    /// `/query sync [instance]`: queues a sync of the instance (or of every active one) for the sync worker, which
    /// tells the admin how each ended, here, ephemerally. A listing takes longer than Slack waits for an answer.
    private func requestSync(of instance: InstanceName?, by user: User, slackUser: String, in channelID: String) async throws -> String {
        guard user.role == .admin else { return Replies.syncAdminsOnly }
        let names: [InstanceName]
        if let instance {
            names = [instance]
        } else {
            names = try await directory.listInstances(named: nil).filter(\.isActive).map { try InstanceName($0.name) }
            guard !names.isEmpty else { return "There is no active instance to sync: an admin adds one with `querygate instances add`." }
        }
        let actor = AuditActor(userID: user.id, label: user.email, source: .slack)
        var results: [(InstanceName, Result<SyncRequestResult, ValidationError>)] = []
        for name in names {
            do {
                results.append((name, .success(try await directory.requestSync(
                    of: name, trigger: .slack, by: actor, replyTo: SlackReplyTarget(user: slackUser, channel: channelID)))))
            } catch let refusal as ValidationError {
                // Deactivated or removed since the list was read: said for that one, the others still queued.
                results.append((name, .failure(refusal)))
            }
        }
        return Replies.syncQueued(results)
    }

    /// Opens the request form with the command's trigger id, which lives 3 seconds and works once.
    private func openForm(triggerID: String?, channelID: String) async -> Response {
        guard let triggerID else { return SlackResponses.ephemeral("Slack sent no trigger id, so the form cannot open. " + "`/query help` shows the one-line form.") }
        if case .failure(let result) = await slack.openView(triggerID: triggerID, view: Modals.newRequest(channelID: channelID)) {
            logger.error("could not open the request form", metadata: ["result": "\(result)"])
            return SlackResponses.ephemeral("The request form did not open (Slack said: \(result)). The one-line form works too: `/query help`.")
        }
        return SlackResponses.acknowledge()
    }
}
