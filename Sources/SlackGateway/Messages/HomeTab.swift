import Foundation
import QueryGateCore

/// QueryGate's Home tab in Slack (`views.publish`): for an approver, the requests waiting for their decision, with
/// the same Approve and Reject buttons as the channel message (the same action ids, so a click is handled, checked
/// and audited the same way); for everyone, their own recent requests and where each stands. It is rendered from
/// the current state each time it is published, like every message.
public enum HomeTab {
    /// What the tab shows, as the store reads it for one person.
    public struct Contents: Sendable, Equatable {
        public let user: User
        /// Pending requests this person may decide and has not approved yet, newest first.
        public let decisions: [RequestDetails]
        /// How many such requests there are in all (more than `decisions` holds when the list was cut).
        public let decisionsInAll: Int
        public let recent: [RequestDetails]

        public init(user: User, decisions: [RequestDetails], decisionsInAll: Int, recent: [RequestDetails]) {
            self.user = user
            self.decisions = decisions
            self.decisionsInAll = decisionsInAll
            self.recent = recent
        }
    }

    /// At most this many requests to decide, with their buttons (4 blocks each), so a view stays within Slack's 100
    /// blocks; the rest are counted.
    public static let maximumDecisions = 15
    public static let maximumRecent = 10

    /// The view for someone QueryGate knows, with `notice` on top (what became of their last click), if any.
    public static func view(_ contents: Contents, notice: String? = nil, now: Date = Date()) -> JSONValue {
        var blocks: [JSONValue] = [Blocks.header("QueryGate")]
        if let notice { blocks.append(Blocks.section("ℹ️ " + Blocks.escape(notice))) }
        let user = contents.user
        blocks.append(Blocks.context(
            "You are \(Blocks.escape(user.name)), \(user.role.rawValue)\(user.podName.map { " of pod " + Blocks.escape($0) } ?? ""). "
                + "Updated <!date^\(Int(now.timeIntervalSince1970))^{date_short_pretty} at {time}|\(now.formatted(.iso8601))>."))

        if RequestWorkflow.decidesAny(user) {
            blocks.append(Blocks.header("Waiting for your decision (\(contents.decisionsInAll))"))
            if contents.decisions.isEmpty {
                blocks.append(Blocks.section("Nothing waits for you."))
            }
            for request in contents.decisions { blocks.append(contentsOf: decisionBlocks(request)) }
            if contents.decisionsInAll > contents.decisions.count {
                blocks.append(Blocks.context("and \(contents.decisionsInAll - contents.decisions.count) more, older: they are in the pods' channels."))
            }
            blocks.append(Blocks.divider())
        }

        blocks.append(Blocks.header("Your requests"))
        if contents.recent.isEmpty {
            blocks.append(Blocks.section("You have made no requests yet."))
        } else {
            let lines = contents.recent.map { request in
                "\(ApprovalMessage.icon(request.status)) *#\(request.id)* `\(request.target)`: "
                    + ApprovalMessage.statusPhrase(request, now: now).replacingOccurrences(of: "*", with: "")
            }
            blocks.append(Blocks.section(Blocks.fit(lines.joined(separator: "\n"), Blocks.maximumSectionText)))
        }
        blocks.append(Blocks.context("Type `/query` in any channel to ask for a query; `/query help` shows every form; `/query status 42` shows one request whole."))
        return ["type": "home", "blocks": .array(blocks)]
    }

    /// The view for a Slack account with no (active) QueryGate account: how to get one.
    public static func noAccess(isDeactivated: Bool) -> JSONValue {
        ["type": "home", "blocks": [Blocks.header("QueryGate"), Blocks.section(Replies.noAccess(isDeactivated: isDeactivated))]]
    }

    /// One request to decide: who asks what where and why, the risk, the approvals so far, and the buttons.
    static func decisionBlocks(_ request: RequestDetails) -> [JSONValue] {
        let who = Blocks.mention(request.requester.slackUserID, name: request.requester.name)
        let reason = Blocks.escape(Blocks.fit(request.reason.replacingOccurrences(of: "\n", with: " "), 300))
        let summary = "*#\(request.id)* `\(request.target)` from \(who), pod \(Blocks.escape(request.podName))\n> \(reason)\n"
            + ApprovalMessage.riskText(request, warnings: 2)
        var blocks = [
            Blocks.section(Blocks.fit(summary, Blocks.maximumSectionText)),
            Blocks.section(Blocks.codeBlock(request.queryText, within: 600) { "shortened from \($0) characters: `/query status \(request.id)` shows it whole" }),
        ]
        if request.approvalsRequired > 1 {
            let so = request.approvals.map { Blocks.mention($0.slackUserID, name: $0.name) }.joined(separator: ", ")
            blocks.append(Blocks.context("\(request.approvals.count) of \(request.approvalsRequired) approvals\(so.isEmpty ? "" : ": " + so)"))
        }
        blocks.append(Blocks.actions(blockID: "home-\(request.id)-actions", [
            Blocks.button("Approve", actionID: ApprovalMessage.approveActionID, value: String(request.id), style: "primary"),
            Blocks.button("Reject", actionID: ApprovalMessage.rejectActionID, value: String(request.id), style: "danger"),
        ]))
        return blocks
    }
}
