import Foundation
import Logging
import QueryGateCore

/// The message in a pod's approval channel: what the approver needs to judge a request, and, while it is
/// pending, the Approve and Reject buttons. It is rendered from the request's current state each time it is
/// posted or updated, so a finished request never shows live buttons.
public enum ApprovalMessage {
    public static let approveActionID = "request.approve"
    public static let rejectActionID = "request.reject"

    /// The `text` (notification fallback) and `blocks` of the message.
    /// `now` is when it is rendered: a running request says how long it has run (updated while it runs).
    public static func render(_ request: RequestDetails, now: Date = Date()) -> (text: String, blocks: [JSONValue]) {
        var blocks: [JSONValue] = [
            Blocks.header("\(icon(request.status)) Query request #\(request.id)"),
            Blocks.fields([
                ("Requester", Blocks.mention(request.requester.slackUserID, name: request.requester.name)),
                ("Target", "`\(request.target)` (\(request.databaseType.rawValue))"),
                ("Type", request.submissionType == .script ? "script (several statements, one transaction)" : "query (one statement)"),
                ("Pod", Blocks.escape(request.podName)),
            ]),
            Blocks.section("*Reason*\n" + Blocks.escape(request.reason).split(separator: "\n", omittingEmptySubsequences: false)
                .map { "> \($0)" }.joined(separator: "\n")),
            querySection(request),
        ]
        blocks.append(riskSection(request))
        blocks.append(contentsOf: stateBlocks(request, now: now))
        let text = "Query request #\(request.id) from \(request.requester.name) on \(request.target): \(statusPhrase(request, now: now))"
        return (text, blocks)
    }

    /// The query in a code block, shortened with a note when the section would exceed Slack's limit.
    static func querySection(_ request: RequestDetails) -> JSONValue {
        let heading = "*\(request.submissionType == .script ? "Script" : "Query")*\n"
        let code = Blocks.codeBlock(request.queryText, within: Blocks.maximumSectionText - heading.count) {
            "shortened: the full \($0) characters are in the portal and in `/query status \(request.id)`"
        }
        return Blocks.section(heading + code)
    }

    /// The risk class and its warnings, so the approver sees what the request may do.
    static func riskSection(_ request: RequestDetails) -> JSONValue {
        Blocks.section(riskText(request))
    }

    /// "*Risk:* 🔴 dangerous", and a line per warning (at most `warnings`).
    static func riskText(_ request: RequestDetails, warnings: Int = 10) -> String {
        let risk = RiskAnalysis.assess(request.queryText, on: request.databaseType)
        let icon = ["🟢", "🟡", "🟠", "🔴"][risk.level.rawValue]
        var text = "*Risk:* \(icon) \(risk.level.label)"
        if risk.isReadOnly, request.databaseType == .postgresql { text += " (it runs in a read-only transaction)" }
        for warning in risk.warnings.prefix(warnings) { text += "\n• ⚠️ " + Blocks.escape(warning) }
        return text
    }

    static func stateBlocks(_ request: RequestDetails, now: Date) -> [JSONValue] {
        switch request.status {
        case .pending:
            // Who can still move it: a manager whose approval is already counted is not waited for.
            let approved = Set(request.approvals.compactMap(\.slackUserID))
            let approvers = request.managerSlackIDs.filter { !approved.contains($0) }.map { "<@\($0)>" }
            let who =
                if request.managerSlackIDs.isEmpty { "an admin (this pod has no manager with a Slack id)" }
                else if approvers.isEmpty { "an admin (every manager of this pod has approved)" }
                else { approvers.joined(separator: " ") + " or an admin" }
            var waiting = "Waiting for \(who)."
            if request.approvalsRequired > 1 {
                let count = "\(request.approvals.count) of \(request.approvalsRequired) approvals"
                let so = request.approvals.isEmpty ? "" : ": " + request.approvals.map { Blocks.mention($0.slackUserID, name: $0.name) }.joined(separator: ", ")
                waiting = "*\(count)*\(so). Each approver counts once. " + waiting
            }
            return [
                Blocks.context(waiting),
                Blocks.actions(blockID: "request-\(request.id)-actions", [
                    Blocks.button("Approve", actionID: approveActionID, value: String(request.id), style: "primary"),
                    Blocks.button("Reject", actionID: rejectActionID, value: String(request.id), style: "danger"),
                ]),
            ]
        default:
            return [Blocks.section(statusPhrase(request, markdown: true, now: now))]
        }
    }

    static func icon(_ status: RequestStatus) -> String {
        switch status {
        case .pending: "⏳"
        case .approved: "✅"
        case .executing: "⚙️"
        case .completed: "✅"
        case .rejected: "❌"
        case .failed: "⚠️"
        case .cancelled: "🚫"
        case .expired: "⌛"
        }
    }

    /// The state in a sentence: "approved by Maria", "rejected by Maria: not during the sale".
    static func statusPhrase(_ request: RequestDetails, markdown: Bool = false, now: Date = Date()) -> String {
        func who(_ person: RequestDetails.Person?) -> String {
            guard let person else { return "someone" }
            return markdown ? Blocks.mention(person.slackUserID, name: person.name) : person.name
        }
        // "Maria", "Maria and Sam": everyone whose approval counted.
        func approvers() -> String {
            let names = request.approvals.isEmpty ? [who(request.approver)] : request.approvals.map(who)
            return names.count > 1 ? names.dropLast().joined(separator: ", ") + " and " + names.last! : names[0]
        }
        let when = request.decidedAt.map { markdown ? " <!date^\(Int($0.timeIntervalSince1970))^{date_short_pretty} {time}|\($0.formatted(.iso8601))>" : "" } ?? ""
        switch request.status {
        case .pending: return "waiting for approval"
        case .approved: return "*Approved* by \(approvers())\(when). It runs next.".unlessPlain(markdown)
        case .executing:
            let since = request.executionStartedAt.map { markdown ? " since <!date^\(Int($0.timeIntervalSince1970))^{time_secs}|\($0.formatted(.iso8601))>" : "" } ?? ""
            let running = request.executionStartedAt.map { " for " + ResultMessage.elapsed(now.timeIntervalSince($0)) } ?? ""
            return "*Running*\(running)\(since), approved by \(approvers()); updated while it runs."
                .unlessPlain(markdown)
        case .completed:
            return "*Completed*\(took(request)), approved by \(approvers()). The result is in the thread.".unlessPlain(markdown)
        case .failed:
            return "*Failed*\(took(request)), approved by \(approvers()). The error is in the thread.".unlessPlain(markdown)
        case .rejected:
            let reason = request.rejectionReason.map { markdown ? Blocks.escape($0) : $0 } ?? ""
            return "*Rejected* by \(who(request.rejecter))\(when): \(reason)".unlessPlain(markdown)
        case .cancelled: return "*Cancelled* by the requester\(when).".unlessPlain(markdown)
        case .expired:
            return (request.approver.map { _ in "*Expired* before it ran, approved by \(approvers()): no worker started it in time; it did not run." }
                ?? (request.approvals.isEmpty ? "*Expired* without a decision."
                    : "*Expired* with \(request.approvals.count) of \(request.approvalsRequired) approvals (\(approvers())): the others did not come in time.")
            ).unlessPlain(markdown)
        }
    }
}

/// " in 1.2 s (whole run)" for a finished request: from the claim to the stored outcome. The thread reply names the
/// statements' own time beside it.
private func took(_ request: RequestDetails) -> String {
    guard let whole = ResultMessage.wholeRunMilliseconds(request) else { return "" }
    return " in " + ResultMessage.duration(whole) + " (whole run)"
}

extension String {
    /// Drops mrkdwn emphasis for the plain-text fallback.
    fileprivate func unlessPlain(_ markdown: Bool) -> String {
        markdown ? self : replacingOccurrences(of: "*", with: "")
    }
}
