import Foundation
import Logging
import PortalStore
import QueryGateCore

/// The short answers QueryGate gives people in Slack: help, status, confirmations, refusals, direct messages.
public enum Replies {
    /// `/query help`: every form, with examples.
    public static let help = """
        *QueryGate* runs your query on a production database once an approver of your pod agrees. You never hold the credentials.

        *Ask*
        • `/query` opens a form: pick the target, paste the query, say why.
        • `/query pg-main/customer_db <reason> ```<query>```` asks in one line (the query may span lines; Shift+Enter):
        ```/query pg-main/customer_db Ticket 4711: yesterday's sign-ups ```SELECT id, email FROM customers WHERE created_at > now() - interval '1 day'```
        ```
        • `/query script pg-main/customer_db <reason> ```<statements>```` asks for a script: several statements run in *one transaction*, so if one fails none is applied.
        • MongoDB targets take mongosh syntax on one collection: ```db.orders.find({status: "paid"}).sort({_id: -1}).limit(10)```
        `find`, `findOne`, `aggregate`, `countDocuments`, `distinct`, `insertOne`/`insertMany`, `updateOne`/`updateMany`, `deleteOne`/`deleteMany`; `db.getCollection("name")` for awkward names. Server-side JavaScript (`$where`, `$function`, `mapReduce`…) and writes to another database are refused.
        • A MongoDB *script* runs its statements in order and stops at the first error, but it is *not atomic*: MongoDB has no transaction across them here (that needs a replica set), so the writes before a failure stay.

        *Follow up*
        • `/query list`: your recent requests.
        • `/query status 42`: where request 42 stands.
        • `/query cancel 42`: withdraw your request while it waits.
        • `/query remind 42`: remind its approvers, in its thread (once an hour). They are reminded once by themselves before it expires.

        *Admins*
        • `/query sync pg-main` (or `/query sync` for every instance) finds the databases added to or dropped from the servers since the last sync, at once; QueryGate tells you here how it went.

        *What happens next*
        Your pod's approval channel gets the request with Approve and Reject buttons. Its managers and the admins decide; nobody approves their own request. Once approved it runs exactly once, and the result appears in the approval message's thread. You get a direct message when it is approved, rejected or finished.
        """

    public static let syncAdminsOnly = "Only QueryGate admins can sync instances. The registry also syncs by itself on a schedule; ask an admin if a database is missing."

    /// The answer to `/query sync`: one line per instance, queued or already under way.
    /// One line per instance, so that a refusal of one says nothing false about the others.
    static func syncQueued(_ results: [(InstanceName, Result<SyncRequestResult, ValidationError>)]) -> String {
        results.map { name, result in
            switch result {
            case .success(.queued): "Syncing `\(name)`: I'll tell you here how it went."
            case .success(.alreadyRunning(let running)):
                "Not queued for `\(name)`: \(running.sentence). `querygate sync history --instance \(name)` shows how it ends."
            case .failure(let refusal): refusal.message
            }
        }.joined(separator: "\n")
    }

    /// What an unknown or deactivated Slack user is told instead of anything happening: why, and how to get access,
    /// wherever they tried (`/query`, a button, a form).
    public static func noAccess(isDeactivated: Bool) -> String {
        isDeactivated
            ? "Your QueryGate account is deactivated, so you cannot make, approve or reject requests. "
                + "To get access again, ask a QueryGate admin to reactivate it (`querygate users activate`)."
            : "You do not have a QueryGate account yet. Ask a QueryGate admin to add you with your Slack member ID (your profile > ⋮ > Copy member ID)."
    }

    /// The immediate answer to a submission: its number, target, and who will decide.
    public static func submitted(_ submitted: PortalStore.Submitted) -> String {
        let approvers = submitted.approvers.map { Blocks.mention($0.slackUserID, name: $0.name) }
        var who = approvers.isEmpty ? "an admin" : approvers.joined(separator: ", ") + " (or an admin)"
        if submitted.approvalsRequired > 1 { who = "\(submitted.approvalsRequired) approvals from " + who }
        return "Request *#\(submitted.id)* on `\(submitted.target)` is waiting for \(who) in <#\(submitted.channelID)>. "
            + "You will get a direct message when it is decided. `/query status \(submitted.id)` shows where it stands."
    }

    /// `/query status`: the request's facts and state, without buttons, and the whole query: where the approval
    /// message shortens it, here it continues over as many code blocks as it needs. The longest query QueryGate
    /// takes (`NewRequest.maximumQueryLength`, 20,000 characters, at most 80,000 once escaped) needs 28 of them, so
    /// it always fits Slack's 50 blocks and no file is needed.
    public static func status(_ request: RequestDetails) -> [JSONValue] {
        var blocks = ApprovalMessage.render(request).blocks
        if request.status == .pending { blocks.removeLast() }
        let heading = "*\(request.submissionType == .script ? "Script" : "Query")*"
        guard let index = blocks.firstIndex(where: { $0["text"]?["text"]?.stringValue?.hasPrefix(heading + "\n") == true }) else { return blocks }
        let parts = Blocks.codeBlocks(request.queryText, each: Blocks.maximumSectionText - heading.count - 40)
        let sections = parts.enumerated().map { number, code in
            Blocks.section(heading + (parts.count > 1 ? " (part \(number + 1) of \(parts.count))" : "") + "\n" + code)
        }
        blocks.replaceSubrange(index...index, with: sections)
        return Array(blocks.prefix(Blocks.maximumBlocks))
    }

    /// `/query list`: one line per request, newest first.
    public static func list(_ requests: [RequestDetails]) -> String {
        guard !requests.isEmpty else { return "You have no requests yet. `/query help` shows how to make one." }
        let lines = requests.map { request in
            "\(ApprovalMessage.icon(request.status)) *#\(request.id)* `\(request.target)` \(request.status.rawValue): "
                + Blocks.escape(Blocks.fit(request.reason.replacingOccurrences(of: "\n", with: " "), 80))
        }
        return "*Your recent requests*\n" + lines.joined(separator: "\n")
    }

    /// The one answer for a request that does not exist and for one the person may not see (`RequestVisibility`),
    /// wherever it is named (`/query status`, `/query cancel`, the buttons, the rejection form), so that an id
    /// never tells whether it exists. `nil` for a button whose value names no request at all.
    public static func noSuchRequest(_ id: Int?) -> String {
        "There is no request \(id.map { "#\($0)" } ?? "of that number") that you can see."
    }

    /// What the loser of a race, or a click on an old message, is told.
    public static func alreadyDecided(_ id: Int, _ status: RequestStatus) -> String {
        "Request #\(id) is already \(status.rawValue); nothing changed."
    }

    /// To an approver whose approval counted, but was not the last one the request needs.
    public static func approvalRecorded(_ id: Int, approvals: Int, required: Int) -> String {
        let missing = required - approvals
        return "Your approval of request #\(id) is counted: \(approvals) of \(required). It runs once \(missing == 1 ? "one more approver agrees" : "\(missing) more approvers agree")."
    }

    public static func refused(_ id: Int, _ why: String) -> String {
        "You cannot do that to request #\(id): \(why)."
    }

    /// A reminder in the approval message's thread, mentioning the approvers: QueryGate's own before expiry, or the
    /// requester's nudge.
    public static func reminder(_ request: RequestDetails, nudged: Bool, expiresAt: Date?) -> String {
        // Whoever has approved already is not asked again.
        let approved = Set(request.approvals.compactMap(\.slackUserID))
        let approvers = request.managerSlackIDs.filter { !approved.contains($0) }.map { "<@\($0)>" }
        var who = approvers.isEmpty ? "an admin" : approvers.joined(separator: " ") + " or an admin"
        if request.approvalsRequired > 1 {
            who += " (\(request.approvals.count) of \(request.approvalsRequired) approvals so far)"
        }
        let expiry = expiresAt.map {
            let seconds = Int($0.timeIntervalSince1970)
            return " It expires <!date^\(seconds)^{date_short_pretty} at {time}|\($0.formatted(.iso8601))> if nobody decides."
        } ?? ""
        if nudged {
            return "👋 \(request.requester.name) asks again: request *#\(request.id)* on `\(request.target)` still waits for \(who).\(expiry)"
        }
        return "⏰ Reminder: request *#\(request.id)* on `\(request.target)` still waits for \(who).\(expiry)"
    }

    /// The answer to `/query remind N`.
    public static func nudged(_ id: Int, _ verdict: Reminders.NudgeVerdict) -> String {
        switch verdict {
        case .remind: "Reminded the approvers of request #\(id), in its thread."
        case .refuse(let why): refused(id, why)
        case .notFound: noSuchRequest(id)
        case .notPending(let status): "Request #\(id) is \(status.rawValue): it no longer waits for a decision."
        case .tooSoon(let next):
            "You reminded the approvers of request #\(id) less than an hour ago; you can again after <!date^\(Int(next.timeIntervalSince1970))^{time}|\(next.formatted(.iso8601))>."
        }
    }

    /// The direct message a requester gets about their request.
    public static func directMessage(_ request: RequestDetails, event: RequestEvent, link: String? = nil) -> String {
        let channel = link.map { " (<\($0)|open it>)" } ?? request.slackChannelID.map { " in <#\($0)>" } ?? ""
        switch event {
        case .approved:
            // Rendered when delivered, which may be after the run: say where the request stands now.
            let now: String
            switch request.status {
            case .executing: now = "It is running now; the result will appear in the approval thread\(channel)."
            case .completed: now = "It has already run and completed; the result is in the approval thread\(channel)."
            case .failed: now = "It has already run and failed; the error is in the approval thread\(channel)."
            default: now = "It runs next; the result will appear in the approval thread\(channel)."
            }
            return "✅ Your request *#\(request.id)* on `\(request.target)` was approved by \(request.approverNames ?? "an approver"). " + now
        case .rejected:
            return "❌ Your request *#\(request.id)* on `\(request.target)` was rejected by \(request.rejecter?.name ?? "an approver"): "
                + Blocks.escape(request.rejectionReason ?? "")
        case .cancelled:
            return "🚫 Your request *#\(request.id)* on `\(request.target)` was cancelled."
        case .expired:
            // `approver` is set only once the request was approved; approvals alone may be some of several.
            let what = request.approver.map { _ in "was approved by \(request.approverNames ?? "") but never started: no QueryGate worker ran it in time, so it did not run" }
                ?? (request.approvals.isEmpty ? "expired: nobody approved or rejected it in time"
                    : "expired with \(request.approvals.count) of the \(request.approvalsRequired) approvals it needed (\(request.approverNames ?? "")): the others did not come in time")
            return "⌛ Your request *#\(request.id)* on `\(request.target)` \(what). Ask again with `/query` if you still need it."
        case .completed:
            return "✅ Your request *#\(request.id)* on `\(request.target)` completed. The result is in the approval thread\(channel)."
        case .failed:
            let why = request.outcome.flatMap { if case .failed(let failure) = $0 { ": " + Blocks.escape(Blocks.fit(failure.description, 300)) + "." } else { nil } } ?? "."
            return "⚠️ Your request *#\(request.id)* on `\(request.target)` failed\(why) The details are in the approval thread\(channel)."
        }
    }
}
