import Foundation
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import Testing

/// `SlackDesk`, what Slack's routes need of the portal database, once on PostgreSQL (`PortalStore`) and once on the
/// twin in memory (`MemoryRequestRepository`), with the same assertions: route tests on the twin
/// (`SlackRoutesOnTwinsTests`) are worth what the twin's answers are, so it must answer, audit and queue as the real
/// store does. The memory run opens no database connection.
@Suite("Slack's desk: one contract, two stores")
struct SlackDeskContractTests {
    typealias SlackIDs = Organisation.SlackIDs

    /// The desk, and what it recorded, read back the same way from both stores.
    struct Door: Sendable {
        let desk: any SlackDesk
        /// The actions of the audit log's request rows, in order.
        let requestAudit: @Sendable () async throws -> [String]
        /// What the routes' answers queued for the outbox, in order, in words (`QueuedAnswer`'s cases).
        let queued: @Sendable () async throws -> [String]

        func person(_ slackID: String) async throws -> User {
            try #require(try await desk.user(slackUserID: slackID), "no user \(slackID)")
        }

        /// Dev's request on the one target, as `/query` would make it.
        func submitByDev(_ query: String = "SELECT count(*) FROM customers") async throws -> Int {
            let request = try NewRequest(target: Organisation.target, queryText: query, reason: "Ticket 4711")
            return try await desk.submit(request, by: try await person(SlackIDs.dev), via: .slack).id
        }
    }

    typealias Store = ContractStore

    static func withDoor(_ store: Store, _ body: @escaping @Sendable (Door) async throws -> Void) async throws {
        switch store {
        case .postgres:
            try await TestDatabase.withMigrated { database in
                try await Organisation.seed(database.store)
                try await body(Door(
                    desk: database.store,
                    requestAudit: {
                        try await Rows.strings("SELECT action FROM audit_logs WHERE action LIKE 'request.%' ORDER BY id", in: database)
                    },
                    queued: {
                        try await Rows.strings(
                            """
                            SELECT CASE notification_type
                                WHEN 'ephemeral' THEN 'ephemeral to ' || recipient || ' in ' || channel_id || ' about '
                                    || coalesce(request_id::text, '-') || ': ' || (payload->>'text')
                                WHEN 'home_tab' THEN 'home tab of ' || recipient || ': ' || coalesce(payload->>'notice', '-')
                                ELSE 'reminder of ' || request_id END
                            FROM slack_notifications WHERE notification_type IN ('ephemeral', 'home_tab', 'reminder') ORDER BY id
                            """, in: database)
                    }))
            }
        case .memory:
            let desk = MemoryRequestRepository()
            try await Organisation.seed(desk)
            try await body(Door(
                desk: desk,
                requestAudit: { await desk.audit.map(\.action.rawValue).filter { $0.hasPrefix("request.") } },
                queued: {
                    await desk.queued.map { answer in
                        switch answer {
                        case .ephemeral(let text, let user, let channel, let requestID):
                            "ephemeral to \(user) in \(channel) about \(requestID.map(String.init) ?? "-"): \(text)"
                        case .homeTab(let user, let notice):
                            "home tab of \(user): \(notice ?? "-")"
                        case .reminder(let requestID):
                            "reminder of \(requestID)"
                        }
                    }
                }))
        }
    }

    @Test("A Slack account names its person, active or not; a stranger is nobody", arguments: Store.allCases)
    func people(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let dev = try await door.person(SlackIDs.dev)
            #expect(dev.email == Organisation.Emails.dev)
            #expect(dev.role == .developer)
            #expect(dev.podName == "payments")
            #expect(dev.isActive)
            #expect(try await door.person(SlackIDs.olga).isActive == false)
            #expect(try await door.desk.user(slackUserID: SlackIDs.stranger) == nil)
        }
    }

    @Test("A submission by Slack account is its person's; nobody's, a deactivated person's or one in no pod records nothing",
          arguments: Store.allCases)
    func submissionBySlackAccount(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let request = try NewRequest(target: Organisation.target, queryText: "SELECT count(*) FROM customers", reason: "Ticket 4711")
            #expect(try await door.desk.submit(request, bySlackUser: SlackIDs.stranger, via: .slack) == .stranger)
            #expect(try await door.desk.submit(request, bySlackUser: SlackIDs.olga, via: .slack) == .deactivated)
            // Ada is an admin, in no pod: the sentence `SubmissionRules.pod(of:)` says.
            await #expect(throws: SubmissionRules.requesterInNoPod) {
                try await door.desk.submit(request, bySlackUser: SlackIDs.ada, via: .slack)
            }
            #expect(try await door.requestAudit() == [], "a refusal records and audits nothing")

            guard case .submitted(let submitted) = try await door.desk.submit(request, bySlackUser: SlackIDs.dev, via: .slack) else {
                Issue.record("Dev's account was not found")
                return
            }
            let details = try #require(try await door.desk.requestDetails(id: submitted.id))
            #expect(details.requester.email == Organisation.Emails.dev)
            #expect(details.requester.slackUserID == SlackIDs.dev)
            #expect(details.status == .pending)
            #expect(try await door.requestAudit() == ["request.submitted"])
            // What the answer says is what a submission by the person gets.
            let byPerson = try await door.desk.submit(request, by: try await door.person(SlackIDs.dev), via: .slack)
            #expect(byPerson.id != submitted.id)
            #expect(submitted.podName == "payments")
            #expect(submitted.channelID == byPerson.channelID)
            #expect(submitted.approvers == byPerson.approvers)
            #expect(submitted.approvers.map(\.email) == [Organisation.Emails.maria])
            #expect(submitted.approvalsRequired == byPerson.approvalsRequired)
        }
    }

    @Test("A click's context: the clicker and the request's facts, each nil when there is none", arguments: Store.allCases)
    func decisionContext(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.submitByDev()
            let (maria, facts) = try await door.desk.decisionContext(slackUserID: SlackIDs.maria, requestID: id)
            #expect(maria?.email == Organisation.Emails.maria)
            let dev = try await door.person(SlackIDs.dev)
            #expect(facts?.requesterID == dev.id)
            #expect(facts?.requesterEmail == Organisation.Emails.dev)
            #expect(facts?.podName == "payments")
            #expect(facts?.status == .pending)
            #expect(facts?.approvalsRequired == 1)
            #expect(facts?.approverIDs == [])

            let (stranger, missing) = try await door.desk.decisionContext(slackUserID: SlackIDs.stranger, requestID: id + 100)
            #expect(stranger == nil)
            #expect(missing == nil)
        }
    }

    @Test("An approval judged on the facts read with the click; a second on the same stale facts learns the truth", arguments: Store.allCases)
    func approvalOnKnownFacts(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.submitByDev()
            let (maria, facts) = try await door.desk.decisionContext(slackUserID: SlackIDs.maria, requestID: id)
            let (ada, sameFacts) = try await door.desk.decisionContext(slackUserID: SlackIDs.ada, requestID: id)
            #expect(try await door.desk.approve(requestID: id, by: try #require(maria), via: .slack, knowing: facts) == .decided(.approved))
            #expect(try await door.desk.approve(requestID: id, by: try #require(ada), via: .slack, knowing: sameFacts) == .alreadyDecided(.approved))
            #expect(try await door.desk.requestDetails(id: id)?.status == .approved)
            #expect(try await door.requestAudit() == ["request.submitted", "request.approved", "request.decision_lost"])
        }
    }

    @Test("The Reject button's question: the requester is refused, a manager may, a late click finds it decided; all audited",
          arguments: Store.allCases)
    func rejectionCheck(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.submitByDev()
            let dev = try await door.person(SlackIDs.dev)
            let maria = try await door.person(SlackIDs.maria)
            guard case .refused = try await door.desk.checkDecision(requestID: id, by: dev, via: .slack, knowing: nil) else {
                Issue.record("the requester was not refused")
                return
            }
            #expect(try await door.desk.checkDecision(requestID: id, by: maria, via: .slack, knowing: nil) == nil)
            #expect(try await door.desk.requestDetails(id: id)?.status == .pending, "asking decides nothing")
            #expect(try await door.desk.reject(requestID: id, reason: "not now", by: maria, via: .slack) == .decided(.rejected))
            #expect(try await door.desk.checkDecision(requestID: id, by: maria, via: .slack, knowing: nil) == .alreadyDecided(.rejected))
            #expect(try await door.desk.checkDecision(requestID: id + 100, by: maria, via: .slack, knowing: nil) == .notFound)
            #expect(try await door.requestAudit() == [
                "request.submitted", "request.rejection_refused", "request.rejection_started", "request.rejected",
                "request.decision_lost", "request.rejection_refused",
            ])
        }
    }

    @Test("/query remind: once an hour by the requester alone, on a pending request it may see", arguments: Store.allCases)
    func nudges(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.submitByDev()
            let dev = try await door.person(SlackIDs.dev)
            #expect(try await door.desk.nudgeApprovers(requestID: id, by: dev, via: .slack) == .remind)
            guard case .tooSoon(let next) = try await door.desk.nudgeApprovers(requestID: id, by: dev, via: .slack) else {
                Issue.record("a second nudge within the hour was not too soon")
                return
            }
            #expect(next > Date().addingTimeInterval(50 * 60))
            guard case .refuse = try await door.desk.nudgeApprovers(requestID: id, by: try await door.person(SlackIDs.maria), via: .slack) else {
                Issue.record("a manager's nudge was not refused")
                return
            }
            #expect(try await door.desk.nudgeApprovers(requestID: id, by: try await door.person(SlackIDs.sam), via: .slack) == .notFound,
                    "another pod's manager may not see the request")
            #expect(try await door.desk.nudgeApprovers(requestID: id + 100, by: dev, via: .slack) == .notFound)
            _ = try await door.desk.cancel(requestID: id, by: dev, via: .slack)
            #expect(try await door.desk.nudgeApprovers(requestID: id, by: dev, via: .slack) == .notPending(.cancelled))
            #expect(try await door.queued() == ["reminder of \(id)"])
            #expect(try await door.requestAudit() == ["request.submitted", "request.reminded", "request.cancelled"])
        }
    }

    @Test("/query list: the person's own requests, newest first, as many as asked", arguments: Store.allCases)
    func recentRequests(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let first = try await door.submitByDev("SELECT 1")
            let second = try await door.submitByDev("SELECT 2")
            let third = try await door.submitByDev("SELECT 3")
            let dev = try await door.person(SlackIDs.dev)
            #expect(try await door.desk.recentRequests(ofUser: dev.id, limit: 10).map(\.id) == [third, second, first])
            #expect(try await door.desk.recentRequests(ofUser: dev.id, limit: 2).map(\.queryText) == ["SELECT 3", "SELECT 2"])
            #expect(try await door.desk.recentRequests(ofUser: try await door.person(SlackIDs.devi).id, limit: 10).isEmpty)
        }
    }

    @Test("Answers queued for later: an ephemeral message as given, a plain Home tab republish once while one waits",
          arguments: Store.allCases)
    func queuedAnswers(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.submitByDev()
            try await door.desk.enqueueEphemeral(text: "nobody approves their own request", to: SlackIDs.dev, in: "C0PAYMENTS", requestID: id)
            try await door.desk.enqueueEphemeral(text: "no such request", to: SlackIDs.sam, in: "C0SEARCH01", requestID: nil)
            try await door.desk.publishHomeTab(for: SlackIDs.maria, notice: nil)
            try await door.desk.publishHomeTab(for: SlackIDs.maria, notice: nil)
            try await door.desk.publishHomeTab(for: SlackIDs.maria, notice: "Request #\(id) approved")
            #expect(try await door.queued() == [
                "ephemeral to \(SlackIDs.dev) in C0PAYMENTS about \(id): nobody approves their own request",
                "ephemeral to \(SlackIDs.sam) in C0SEARCH01 about -: no such request",
                "home tab of \(SlackIDs.maria): -",
                "home tab of \(SlackIDs.maria): Request #\(id) approved",
            ])
        }
    }

    @Test("A stranger's click is audited with what the routes say of it", arguments: Store.allCases)
    func strangersAudit(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let actor = AuditActor(userID: nil, label: "slack:\(SlackIDs.stranger)", source: .slack)
            try await door.desk.audit(actor, action: .approvalRefused, entityType: "query_request", entityID: "7", details: ["why": "no portal user"])
            #expect(try await door.requestAudit() == ["request.approval_refused"])
        }
    }
}
