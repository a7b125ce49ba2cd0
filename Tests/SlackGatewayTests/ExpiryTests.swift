import Foundation
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Requests nobody decides expire: once, across replicas, with the message updated, the requester told, an audit
/// row; a decision or a run that came first is never overwritten. Time passes by moving `created_at` and
/// `approved_at` into the past, so that no test waits for a clock.
@Suite("Request expiry and reminders")
struct ExpiryTests {
    typealias People = AppHarness.People

    static func age(_ id: Int, hours: Int, in slack: AppHarness) async throws {
        try await slack.database.client.query(
            """
            UPDATE query_requests SET created_at = created_at - make_interval(hours => \(hours)::int),
                approved_at = approved_at - make_interval(hours => \(hours)::int)
            WHERE id = \(id)
            """)
    }

    @Test func aPendingRequestExpiresOnceIsShownExpiredAndItsRequesterIsTold() async throws {
        try await AppHarness.run { slack in
            let old = try await slack.submit()
            let fresh = try await slack.submit("SELECT 2")
            try await slack.deliverOutbox()
            try await Self.age(old, hours: 25, in: slack)

            // Two replicas sweep at once: one expiry.
            async let first = slack.store.expireOverdueRequests(defaultTTL: .seconds(86_400))
            async let second = slack.store.expireOverdueRequests(defaultTTL: .seconds(86_400))
            #expect(try await (first + second) == [old])
            #expect(try await slack.status(of: old) == .expired)
            #expect(try await slack.status(of: fresh) == .pending)
            #expect(try await slack.store.expireOverdueRequests(defaultTTL: .seconds(86_400)).isEmpty)
            #expect(try await Rows.count("audit_logs WHERE action = 'request.expired'", in: slack.database) == 1)

            try await slack.deliverOutbox()
            let recorder = slack.fake.recorder
            let update = try #require(await recorder.successful("chat.update").last?.arguments)
            let words = update["blocks"]?.allText ?? ""
            #expect(words.contains("*Expired* without a decision."), "\(words)")
            #expect(!words.contains("request.approve"), "an expired request still shows buttons")
            let dm = try #require(await recorder.successful("chat.postMessage").last?.arguments)
            #expect(dm["text"]?.stringValue?.hasPrefix("⌛ Your request *#\(old)* on `pg-main/customer_db` expired: nobody approved or rejected it in time.") == true,
                    "\(String(describing: dm["text"]))")

            // A click on it afterwards is told so, and changes nothing.
            _ = try await slack.click("request.approve", request: old, as: People.maria)
            try await slack.deliverOutbox()
            let told = await recorder.successful("chat.postEphemeral").last?.arguments["text"]?.stringValue ?? ""
            #expect(told.contains("already expired"), "\(told)")
            #expect(try await slack.status(of: old) == .expired)
        }
    }

    @Test func anApprovedRequestThatNeverStartedExpiresATimeToLiveAfterItsApproval() async throws {
        try await AppHarness.run { slack in
            let stuck = try await slack.submit()
            let recent = try await slack.submit("SELECT 2")
            _ = try await slack.click("request.approve", request: stuck, as: People.maria)
            _ = try await slack.click("request.approve", request: recent, as: People.maria)
            try await Self.age(stuck, hours: 25, in: slack)
            // Made long ago, approved just now: it has a whole time to live to start.
            try await slack.database.client.query("UPDATE query_requests SET created_at = created_at - interval '30 hours' WHERE id = \(recent)")

            #expect(try await slack.store.expireOverdueRequests(defaultTTL: .seconds(86_400)) == [stuck])
            #expect(try await slack.status(of: recent) == .approved)
            try await slack.deliverOutbox()
            let dm = await slack.fake.recorder.successful("chat.postMessage").last?.arguments["text"]?.stringValue ?? ""
            #expect(dm.contains("was approved by Maria but never started"), "\(dm)")
        }
    }

    @Test func aDecisionOrARunThatCameFirstIsNeverExpired() async throws {
        try await AppHarness.run { slack in
            let rejected = try await slack.submit()
            let running = try await slack.submit("SELECT 2")
            _ = try await slack.store.reject(requestID: rejected, reason: "no", by: try #require(try await slack.store.user(slackUserID: People.maria)), via: .slack)
            _ = try await slack.click("request.approve", request: running, as: People.maria)
            _ = try #require(try await slack.store.claimApproved(executorID: "test", lease: .seconds(60)))
            try await Self.age(rejected, hours: 48, in: slack)
            try await Self.age(running, hours: 48, in: slack)
            #expect(try await slack.store.expireOverdueRequests(defaultTTL: .seconds(60)).isEmpty)
            #expect(try await slack.status(of: rejected) == .rejected)
            #expect(try await slack.status(of: running) == .executing)
        }
    }

    @Test func aPodsOwnTimeToLiveWinsAndNoneMeansNever() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            try await Self.age(id, hours: 3, in: slack)
            #expect(try await slack.store.expireOverdueRequests(defaultTTL: nil).isEmpty, "no time to live anywhere: never")
            try await slack.database.client.query("UPDATE pods SET request_ttl_seconds = 7200 WHERE name = 'payments'")
            #expect(try await slack.store.expireOverdueRequests(defaultTTL: .seconds(86_400)) == [id])
        }
    }

    @Test func approversAreRemindedOnceHalfwayInTheThreadWithTheExpiry() async throws {
        try await AppHarness.run { slack in
            let waiting = try await slack.submit()
            let young = try await slack.submit("SELECT 2")
            try await slack.deliverOutbox()
            try await Self.age(waiting, hours: 13, in: slack)

            async let first = slack.store.remindWaitingRequests(defaultTTL: .seconds(86_400), percent: 50)
            async let second = slack.store.remindWaitingRequests(defaultTTL: .seconds(86_400), percent: 50)
            #expect(try await (first + second) == [waiting])
            #expect(try await slack.store.remindWaitingRequests(defaultTTL: .seconds(86_400), percent: 50).isEmpty)
            #expect(try await slack.status(of: young) == .pending)
            #expect(try await Rows.count("audit_logs WHERE action = 'request.reminded'", in: slack.database) == 1)

            try await slack.deliverOutbox()
            let reply = try #require(await slack.fake.recorder.successful("chat.postMessage").last?.arguments)
            #expect(reply["thread_ts"]?.stringValue == "1732460000.000101" && reply["channel"]?.stringValue == "C0PAYMENTS")
            let text = reply["text"]?.stringValue ?? ""
            #expect(text.hasPrefix("⏰ Reminder: request *#\(waiting)* on `pg-main/customer_db` still waits for <@U0MGR0001> or an admin."), "\(text)")
            #expect(text.contains("It expires <!date^"), "\(text)")
        }
    }

    @Test func theRequesterNudgesAtMostOnceAnHourAndNobodyElseMay() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            try await slack.deliverOutbox()
            // Twice at once: one reminder, the other is told it is too soon.
            async let first = slack.reply("remind \(id)", as: People.dev)
            async let second = slack.reply("remind \(id)", as: People.dev)
            let answers = try await [first, second]
            #expect(answers.filter { $0 == "Reminded the approvers of request #\(id), in its thread." }.count == 1, "\(answers)")
            #expect(answers.filter { $0.hasPrefix("You reminded the approvers of request #\(id) less than an hour ago") }.count == 1)
            #expect(try await slack.reply("remind \(id)", as: People.maria)
                == "You cannot do that to request #\(id): only the person who made a request can remind its approvers.")
            #expect(try await slack.reply("remind \(id)", as: People.sam) == Replies.noSuchRequest(id))
            try await slack.deliverOutbox()
            let nudges = await slack.fake.recorder.successful("chat.postMessage").compactMap { $0.arguments["text"]?.stringValue }
                .filter { $0.hasPrefix("👋") }
            #expect(nudges == ["👋 Dev asks again: request *#\(id)* on `pg-main/customer_db` still waits for <@U0MGR0001> or an admin."], "\(nudges)")

            // An hour later it works again, until the request is decided.
            try await slack.database.client.query("UPDATE query_requests SET nudged_at = now() - interval '61 minutes' WHERE id = \(id)")
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            #expect(try await slack.reply("remind \(id)", as: People.dev).contains("no longer waits for a decision"))
            #expect(try await Rows.count("audit_logs WHERE action = 'request.reminded'", in: slack.database) == 1)
        }
    }

    @Test func aReminderForARequestDecidedBeforeItWentOutIsNotSent() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            try await slack.deliverOutbox()
            try await Self.age(id, hours: 20, in: slack)
            #expect(try await slack.store.remindWaitingRequests(defaultTTL: .seconds(86_400), percent: 50) == [id])
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            try await slack.deliverOutbox()
            let texts = await slack.fake.recorder.successful("chat.postMessage").compactMap { $0.arguments["text"]?.stringValue }
            #expect(!texts.contains { $0.hasPrefix("⏰") }, "\(texts)")
        }
    }
}
