import Foundation
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// The outbox worker on the in-memory outbox (`MemoryNotificationOutbox`) and the fake Slack: what the worker does
/// with wake-ups, pauses and parents, with no database at all (they run without `scripts/test`'s PostgreSQL).
/// `NotificationOutboxContractTests` holds the twin to the SQL's rules; `OutboxTests` runs the worker on PostgreSQL.
@Suite("The outbox worker, without a database")
struct OutboxWorkerTests {
    static func request(id: Int) -> RequestDetails {
        RequestDetails(
            id: id, status: .pending, submissionType: .query, queryText: "SELECT count(*) FROM customers", reason: "Ticket 4711",
            target: "pg-main/customer_db", databaseType: .postgresql,
            requester: RequestDetails.Person(name: "Dev", email: Organisation.Emails.dev, slackUserID: Organisation.SlackIDs.dev),
            podName: "payments", podChannelID: "C0PAYMENTS", managerSlackIDs: [Organisation.SlackIDs.maria], approver: nil, rejecter: nil,
            rejectionReason: nil, createdAt: Date(timeIntervalSince1970: 1_700_000_000), decidedAt: nil, slackChannelID: nil, slackMessageTS: nil)
    }

    static func slack(_ fake: FakeSlack) -> any SlackWebAPI {
        HTTPSlackWebAPI(baseURL: fake.apiURL, token: FakeSlack.botToken, logger: AppHarness.quietLogger)
    }

    /// Settings under which the worker never polls within a test: whatever it does promptly, something else caused.
    static var neverPolling: SlackOutboxWorker.Settings {
        var settings = SlackOutboxWorker.Settings.fast
        settings.pollInterval = .seconds(3600)
        return settings
    }

    /// Waits up to 10 s for `condition`.
    static func waitUntil(_ what: String, _ condition: @Sendable () async -> Bool) async throws {
        for _ in 0..<200 {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("gave up waiting until \(what)")
    }

    @Test(.timeLimit(.minutes(1)))
    func aNotificationQueuedWhileTheWorkerWaitsIsDeliveredByItsWakeUp() async throws {
        try await FakeSlack.run { fake in
            let outbox = MemoryNotificationOutbox()
            await outbox.add(Self.request(id: 1))
            let worker = SlackOutboxWorker(outbox: outbox, slack: Self.slack(fake), settings: Self.neverPolling, logger: AppHarness.quietLogger)
            let running = Task { try await worker.run() }

            // It looks once on starting and once for the wake-up its subscription brings; then it waits, for an hour.
            try await Self.waitUntil("the worker has looked twice") { await outbox.claimsTried >= 2 && outbox.listeners == 1 }
            try await Task.sleep(for: .milliseconds(200))
            #expect(await outbox.claimsTried == 2)

            let queued = ContinuousClock.now
            let id = await outbox.enqueue(.approvalRequest, requestID: 1, recipient: "C0PAYMENTS")
            try await Self.waitUntil("the approval message is sent") { await outbox.notification(id)?.status == .sent }
            #expect(queued.duration(to: .now) < .seconds(10))

            let posted = await fake.recorder.successful("chat.postMessage")
            #expect(posted.count == 1)
            #expect(posted.first?.arguments["channel"]?.stringValue == "C0PAYMENTS")
            let sent = try #require(await outbox.notification(id))
            #expect(sent.attempts == 1 && sent.messageTS != nil && sent.claimedBy == nil)
            // The request now knows its message, as `query_requests` would.
            #expect(try await outbox.requestDetails(id: 1)?.slackMessageTS == sent.messageTS)

            running.cancel()
            try await running.value
            #expect(outbox.listeners == 0, "the worker's wake-up stream outlived it")
        }
    }

    /// A notification queued during Slack's pause wakes the worker, as any does; it must still wait out the pause,
    /// or the call it makes only earns another 429.
    @Test(.timeLimit(.minutes(1)))
    func aWakeUpDuringARateLimitPauseWaitsForThePauseToEnd() async throws {
        try await FakeSlack.run { fake in
            let outbox = MemoryNotificationOutbox()
            await outbox.add(Self.request(id: 1))
            await outbox.add(Self.request(id: 2))
            let first = await outbox.enqueue(.approvalRequest, requestID: 1, recipient: "C0PAYMENTS")
            await fake.recorder.script("chat.postMessage", [.rateLimited(retryAfter: 3)])
            let worker = SlackOutboxWorker(outbox: outbox, slack: Self.slack(fake), settings: Self.neverPolling, logger: AppHarness.quietLogger)

            let running = Task { try await worker.run() }
            try await Self.waitUntil("the rate limit is recorded") { await outbox.notification(first)?.lastError == "rate limited" }
            let paused = ContinuousClock.now
            let second = await outbox.enqueue(.approvalRequest, requestID: 2, recipient: "C0PAYMENTS")
            try await Task.sleep(for: .milliseconds(1500))
            #expect(await fake.recorder.calls.map(\.outcome) == ["429"], "a call went out during Slack's 3 s pause")

            try await Self.waitUntil("both are sent") {
                let (one, two) = (await outbox.notification(first), await outbox.notification(second))
                return one?.status == .sent && two?.status == .sent
            }
            #expect(paused.duration(to: .now) >= .seconds(2), "the pause was cut short")
            #expect(await fake.recorder.calls.map(\.outcome) == ["429", "ok", "ok"])
            running.cancel()
            try await running.value
        }
    }

    /// The worker sleeps a 429's pause out, so the Web API client caps what a Retry-After may ask for.
    @Test func aRetryAfterOfDaysIsCappedAtFiveMinutes() async throws {
        try await FakeSlack.run { fake in
            await fake.recorder.script("views.open", [.rateLimited(retryAfter: 999_999_999), .rateLimited(retryAfter: 7)])
            let slack = Self.slack(fake)
            var pauses: [Duration] = []
            for _ in 0..<2 {
                if case .failure(.rateLimited(let pause)) = await slack.openView(triggerID: "1.2.3", view: ["type": "modal"]) { pauses.append(pause) }
            }
            #expect(pauses == [.seconds(300), .seconds(7)])
        }
    }

    /// No wake-ups and no polling within the test: only the pause Slack asked for brings the message back.
    @Test(.timeLimit(.minutes(1)))
    func aRateLimitedCallPausesTheWorkerThenDeliversOnce() async throws {
        try await FakeSlack.run { fake in
            let outbox = MemoryNotificationOutbox()
            await outbox.add(Self.request(id: 1))
            let id = await outbox.enqueue(.approvalRequest, requestID: 1, recipient: "C0PAYMENTS")
            await fake.recorder.script("chat.postMessage", [.rateLimited(retryAfter: 1)])
            var settings = Self.neverPolling
            settings.listens = false
            let worker = SlackOutboxWorker(outbox: outbox, slack: Self.slack(fake), settings: settings, logger: AppHarness.quietLogger)

            let started = ContinuousClock.now
            let running = Task { try await worker.run() }
            try await Self.waitUntil("the rate limit is recorded") { await outbox.notification(id)?.lastError == "rate limited" }
            let paused = try #require(await outbox.notification(id))
            #expect(paused.status == .pending && paused.attempts == 0)
            #expect(await fake.recorder.calls.map(\.outcome) == ["429"])

            try await Self.waitUntil("the approval message is sent") { await outbox.notification(id)?.status == .sent }
            let took = started.duration(to: .now)
            #expect(took >= .seconds(1) && took < .seconds(10), "delivered after \(took)")
            #expect(await fake.recorder.calls.map(\.outcome) == ["429", "ok"])
            #expect(await outbox.notification(id)?.attempts == 1)

            running.cancel()
            try await running.value
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func anUpdateWaitsForItsMessageAndEditsIt() async throws {
        try await FakeSlack.run { fake in
            let outbox = MemoryNotificationOutbox()
            await outbox.add(Self.request(id: 1))
            let message = await outbox.enqueue(.approvalRequest, requestID: 1, recipient: "C0PAYMENTS")
            await outbox.enqueue(.approvalUpdate, requestID: 1, recipient: "C0PAYMENTS", parentID: message)
            let worker = SlackOutboxWorker(outbox: outbox, slack: Self.slack(fake), settings: Self.neverPolling, logger: AppHarness.quietLogger)

            try await worker.deliverDue()
            let calls = await fake.recorder.calls
            #expect(calls.map(\.method) == ["chat.postMessage", "chat.update"])
            let ts = try #require(await outbox.notification(message)?.messageTS)
            #expect(calls.last?.arguments["ts"]?.stringValue == ts)
            #expect(calls.last?.arguments["channel"]?.stringValue == "C0PAYMENTS")
            #expect(await outbox.pending.isEmpty)
            #expect(await outbox.failed.isEmpty)
        }
    }
}
