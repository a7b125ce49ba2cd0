import Foundation
import Hummingbird
import Logging
import PortalStore
import QueryGateCore

extension SlackRoutes {
    func interact(_ interaction: Interaction) async throws -> Response {
        if let path = interaction.unstorableTextPath { return try await refuseUnstorableText(interaction, at: path) }
        switch interaction.kind {
        case .blockActions: return try await buttonClicked(interaction)
        case .viewSubmission: return try await formSubmitted(interaction)
        case .blockSuggestion: return try await optionsRequested(interaction)
        case .viewClosed, .other: return SlackResponses.acknowledge()  // nothing to do
        }
    }

    /// Approve and Reject. Who may decide is checked from the database now, not from the message; the answer to
    /// anyone refused, or too late, is an ephemeral message through the outbox.
    private func buttonClicked(_ interaction: Interaction) async throws -> Response {
        guard let actionID = interaction.actionID, [ApprovalMessage.approveActionID, ApprovalMessage.rejectActionID].contains(actionID)
        else { return SlackResponses.acknowledge() }

        // A deactivated user goes on to the store, which refuses and audits; a stranger, or a value that names no
        // request, is audited here: every click is in the audit log. The clicker and the request's facts are read
        // together: with the decision's own statement, a click takes two round trips to the portal database.
        let requestNumber = interaction.actionValue.flatMap(RequestNumber.parse)
        let (found, facts) = try await desk.decisionContext(slackUserID: interaction.userID, requestID: requestNumber ?? 0)
        let refusedAction: AuditAction = actionID == ApprovalMessage.approveActionID ? .approvalRefused : .rejectionRefused
        guard let user = found, let requestID = requestNumber else {
            let actor = found.map { AuditActor(userID: $0.id, label: $0.email, source: .slack) }
                ?? AuditActor(userID: nil, label: "slack:\(interaction.userID)", source: .slack)
            let value = interaction.actionValue ?? ""
            try await desk.audit(
                actor, action: refusedAction, entityType: "query_request", entityID: RequestNumber.parse(value).map(String.init),
                details: ["why": found == nil ? "unknown Slack user" : "the button names no request", "value": String(value.prefix(40))])
            try await tell(interaction, found == nil ? Replies.noAccess(isDeactivated: false) : Replies.noSuchRequest(nil), requestID: nil)
            return SlackResponses.acknowledge()
        }

        if actionID == ApprovalMessage.approveActionID {
            let outcome = try await desk.approve(requestID: requestID, by: user, via: .slack, knowing: facts)
            try await explain(outcome, of: requestID, to: interaction, by: user)
            return SlackResponses.acknowledge()
        }

        // Reject: refuse before asking for a reason, then ask for it in a modal (the trigger id lives 3 s).
        if let outcome = try await desk.checkDecision(requestID: requestID, by: user, via: .slack, knowing: facts) {
            try await explain(outcome, of: requestID, to: interaction, by: user)
            return SlackResponses.acknowledge()
        }
        guard let triggerID = interaction.triggerID else { return SlackResponses.acknowledge() }
        let view = Modals.reject(requestID: requestID, channelID: interaction.channelID ?? "")
        if case .failure(let result) = await slack.openView(triggerID: triggerID, view: view) {
            logger.error("could not open the rejection form", metadata: ["request": "\(requestID)", "result": "\(result)"])
            try await tell(interaction, "The rejection form did not open; please click Reject again.", requestID: requestID)
        }
        return SlackResponses.acknowledge()
    }

    private func formSubmitted(_ interaction: Interaction) async throws -> Response {
        let user: User
        switch try await member(interaction.userID) {
        case .success(let found): user = found
        case .failure(let noAccess):
            let block = interaction.callbackID == Modals.rejectCallbackID ? Modals.Field.rejection.blockID : Modals.Field.reason.blockID
            return SlackResponses.viewErrors([block: noAccess.message])
        }
        switch interaction.callbackID {
        case Modals.newRequestCallbackID: return try await submitRequest(interaction, by: user)
        case Modals.rejectCallbackID: return try await submitRejection(interaction, by: user)
        default: return SlackResponses.acknowledge()
        }
    }

    /// The request form: every field error is shown under its field, and nothing is stored until all pass.
    private func submitRequest(_ interaction: Interaction, by user: User) async throws -> Response {
        let fields = Modals.Field.self
        let target = interaction.input(fields.target) ?? ""
        let type = SubmissionType(rawValue: interaction.input(fields.type) ?? "query") ?? .query
        let query = interaction.input(fields.query) ?? ""
        let reason = interaction.input(fields.reason) ?? ""

        // The same rules as every other door (`NewRequest`), all at once, each under its field; the picker's field
        // says how to fill it rather than the grammar of a target.
        var errors: [String: String] = [:]
        for problem in NewRequest.problems(target: target, queryText: query, reason: reason) {
            let block = [fields.target.blockID, fields.query.blockID, fields.reason.blockID].contains(problem.field) ? problem.field : fields.reason.blockID
            errors[block] = problem.field == "target" ? "Pick a target from the list." : problem.message
        }
        guard errors.isEmpty else { return SlackResponses.viewErrors(errors) }

        do {
            let request = try NewRequest(target: target, queryText: query, reason: reason, submissionType: type)
            let submitted = try await desk.submit(request, by: user, via: .slack)
            return SlackResponses.json(["response_action": "update", "view": Modals.submitted(submitted)])
        } catch let error as ValidationError {
            let block = [fields.target.blockID, fields.query.blockID, fields.reason.blockID].contains(error.field) ? error.field : fields.reason.blockID
            return SlackResponses.viewErrors([block: error.message])
        }
    }

    private func submitRejection(_ interaction: Interaction, by user: User) async throws -> Response {
        let field = Modals.Field.rejection
        guard case .number(let number)? = interaction.privateMetadata["request_id"], let requestID = RequestNumber.exactly(number) else {
            return SlackResponses.viewErrors([field.blockID: "This form lost track of its request; click Reject again."])
        }
        let reason = interaction.input(field) ?? ""
        do {
            switch try await desk.reject(requestID: requestID, reason: reason, by: user, via: .slack) {
            case .decided, .approvalRecorded: return SlackResponses.json(["response_action": "clear"])
            case .refused(let why): return SlackResponses.viewErrors([field.blockID: Replies.refused(requestID, why)])
            case .alreadyDecided(let status): return SlackResponses.viewErrors([field.blockID: Replies.alreadyDecided(requestID, status)])
            case .notFound: return SlackResponses.viewErrors([field.blockID: Replies.noSuchRequest(requestID)])
            }
        } catch let error as ValidationError {
            return SlackResponses.viewErrors([field.blockID: error.message])
        }
    }

    /// The target picker: databases whose `<instance>/<database>` contains what was typed.
    private func optionsRequested(_ interaction: Interaction) async throws -> Response {
        guard case .success = try await member(interaction.userID) else { return SlackResponses.json(["options": []]) }
        let targets = try await directory.searchTargets(interaction.searchValue ?? "", limit: Modals.maximumOptions)
        return SlackResponses.json(Modals.targetOptions(targets))
    }

    /// A deactivated approver's refusal says how to get access again, as `/query` does, not only that they may not.
    private func explain(_ outcome: DecisionOutcome, of requestID: Int, to interaction: Interaction, by user: User) async throws {
        switch outcome {
        case .decided: return
        case .approvalRecorded(let approvals, let required):
            try await tell(interaction, Replies.approvalRecorded(requestID, approvals: approvals, required: required), requestID: requestID)
        case .refused where !user.isActive: try await tell(interaction, Replies.noAccess(isDeactivated: true), requestID: requestID)
        case .refused(let why): try await tell(interaction, Replies.refused(requestID, why), requestID: requestID)
        case .alreadyDecided(let status): try await tell(interaction, Replies.alreadyDecided(requestID, status), requestID: requestID)
        case .notFound: try await tell(interaction, Replies.noSuchRequest(requestID), requestID: nil)
        }
    }

    /// A payload holding text PostgreSQL refuses acts on none of it: a form shows the error under the field it
    /// was in (or its main field), a click gets an ephemeral answer, a picker no options.
    private func refuseUnstorableText(_ interaction: Interaction, at path: [String]) async throws -> Response {
        let fields = Modals.Field.self
        switch interaction.kind {
        case .viewSubmission:
            let main = interaction.callbackID == Modals.rejectCallbackID ? fields.rejection.blockID : fields.reason.blockID
            let blocks = [fields.target.blockID, fields.type.blockID, fields.query.blockID, fields.reason.blockID, fields.rejection.blockID]
            let inBlock = path.starts(with: ["view", "state", "values"]) && path.count > 3 && blocks.contains(path[3]) ? path[3] : main
            return SlackResponses.viewErrors([inBlock: "This " + InputText.refusal(field: inBlock).message + "."])
        case .blockSuggestion:
            return SlackResponses.json(["options": []])
        case .blockActions:
            try await tell(interaction, "QueryGate cannot act on this: it " + InputText.refusal(field: "").message + ".", requestID: nil)
            return SlackResponses.acknowledge()
        default:
            return SlackResponses.acknowledge()
        }
    }

    /// An ephemeral message to whoever clicked, in the channel of the click, through the outbox; a click in the
    /// Home tab is answered on top of the tab, republished. `requestID` only for a request known to exist (the
    /// outbox row refers to it).
    private func tell(_ interaction: Interaction, _ text: String, requestID: Int?) async throws {
        if interaction.isFromHomeTab { return try await desk.publishHomeTab(for: interaction.userID, notice: text) }
        guard let channel = interaction.channelID else { return }
        try await desk.enqueueEphemeral(text: text, to: interaction.userID, in: channel, requestID: requestID)
    }
}
