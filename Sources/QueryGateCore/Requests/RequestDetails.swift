import Foundation

/// Everything shown about a request: in the approval message, in `/query status`, in the portal.
public struct RequestDetails: Sendable, Equatable {
    public struct Person: Sendable, Equatable {
        public let name: String
        public let email: String
        public let slackUserID: String?

        public init(name: String, email: String, slackUserID: String?) {
            self.name = name
            self.email = email
            self.slackUserID = slackUserID
        }
    }

    public let id: Int
    public let status: RequestStatus
    public let submissionType: SubmissionType
    public let queryText: String
    public let reason: String
    public let target: String
    public let databaseType: DatabaseType
    public let requester: Person
    public let podName: String
    public let podChannelID: String
    /// Slack ids of the pod's active managers, to mention in the approval message.
    public let managerSlackIDs: [String]
    public let approver: Person?
    public let rejecter: Person?
    public let rejectionReason: String?
    public let createdAt: Date
    public let decidedAt: Date?
    public let slackChannelID: String?
    public let slackMessageTS: String?
    public let executionStartedAt: Date?
    public let executionFinishedAt: Date?
    /// Set once the request has run (or was interrupted).
    public let outcome: ExecutionOutcome?
    /// How many distinct approvals it needs (`ApprovalQuorum`), and who has approved it so far, in order.
    public let approvalsRequired: Int
    public let approvals: [Person]

    public init(
        id: Int, status: RequestStatus, submissionType: SubmissionType, queryText: String, reason: String, target: String,
        databaseType: DatabaseType, requester: Person, podName: String, podChannelID: String, managerSlackIDs: [String],
        approver: Person?, rejecter: Person?, rejectionReason: String?, createdAt: Date, decidedAt: Date?,
        slackChannelID: String?, slackMessageTS: String?, executionStartedAt: Date? = nil, executionFinishedAt: Date? = nil,
        outcome: ExecutionOutcome? = nil, approvalsRequired: Int = 1, approvals: [Person]? = nil
    ) {
        self.id = id
        self.status = status
        self.submissionType = submissionType
        self.queryText = queryText
        self.reason = reason
        self.target = target
        self.databaseType = databaseType
        self.requester = requester
        self.podName = podName
        self.podChannelID = podChannelID
        self.managerSlackIDs = managerSlackIDs
        self.approver = approver
        self.rejecter = rejecter
        self.rejectionReason = rejectionReason
        self.createdAt = createdAt
        self.decidedAt = decidedAt
        self.slackChannelID = slackChannelID
        self.slackMessageTS = slackMessageTS
        self.executionStartedAt = executionStartedAt
        self.executionFinishedAt = executionFinishedAt
        self.outcome = outcome
        self.approvalsRequired = approvalsRequired
        // Details made before several approvals existed know one approver at most.
        self.approvals = approvals ?? approver.map { [$0] } ?? []
    }
}

extension RequestDetails {
    /// "Maria", "Maria and Sam": whoever approved it, by name; nil when nobody has.
    public var approverNames: String? {
        let names = approvals.map(\.name)
        guard let last = names.last else { return nil }
        return names.count == 1 ? last : names.dropLast().joined(separator: ", ") + " and " + last
    }
}

/// The result of trying to approve, reject or cancel a request.
public enum DecisionOutcome: Sendable, Equatable {
    /// The request moved to `status`; this caller won.
    case decided(RequestStatus)
    /// The caller's approval was counted, the `approvals`-th of the `required` the request needs; it stays pending.
    case approvalRecorded(approvals: Int, required: Int)
    /// The caller may not make this decision; nothing changed (an audit row says they tried).
    case refused(String)
    /// Someone else decided first, or the request was never in a state to be decided.
    case alreadyDecided(RequestStatus)
    /// No such request, or none the caller may see.
    case notFound
}

/// The kinds of Slack message the outbox delivers (`slack_notifications.notification_type`).
public enum NotificationType: String, Sendable, Codable {
    /// The message in the pod's approval channel, with the Approve and Reject buttons.
    case approvalRequest = "approval_request"
    /// `chat.update` of the approval message to the request's current state.
    case approvalUpdate = "approval_update"
    /// A direct message to the requester about their request.
    case directMessage = "direct_message"
    /// The outcome of running the request, as a reply in the approval message's thread.
    case resultReply = "result_reply"
    /// The full result as a CSV file in the approval message's thread.
    case resultFile = "result_file"
    /// A message only one person sees, in the channel where they clicked.
    case ephemeral
    /// A person's Home tab in Slack, republished (`views.publish`) from the current state; `recipient` is their
    /// Slack user id, `payload.notice` an optional line on top.
    case homeTab = "home_tab"
    /// A reminder to the approvers, in the approval message's thread (`payload.kind`: `scheduled` or `nudge`).
    case reminder
}

/// Why a direct message is sent (its `payload.event`).
public enum RequestEvent: String, Sendable, Codable {
    case approved, rejected, cancelled, completed, failed, expired
}
