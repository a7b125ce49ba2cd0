import Foundation
import NIOCore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

@Suite("The Slack outbox")
struct OutboxTests {
    typealias People = AppHarness.People

    /// The approval messages Slack accepted, by request number, in the order they arrived.
    static func deliveredRequests(_ slack: AppHarness) async -> [String] {
        await slack.fake.recorder.successful("chat.postMessage").compactMap { call in
            guard let text = call.arguments["text"]?.stringValue, text.hasPrefix("Query request #") else { return nil }
            return String(text.dropFirst("Query request #".count).prefix { $0.isNumber })
        }
    }

    @Test func aBurstOf429sAndARunOf500sDeliverEveryMessageOnce() async throws {
        try await AppHarness.run { slack in
            for index in 1...6 { _ = try await slack.submit("SELECT \(index)") }
            await slack.fake.recorder.script("chat.postMessage", [
                .rateLimited(retryAfter: 1), .serverError, .serverError, .rateLimited(retryAfter: 1), .serverError, .error("internal_error"),
            ])
            try await slack.deliverOutbox()
            let delivered = await Self.deliveredRequests(slack)
            #expect(delivered.sorted() == ["1", "2", "3", "4", "5", "6"])
            let counts = try await slack.store.outboxCounts()
            #expect(counts.sent == 6 && counts.failed == 0 && counts.pending == 0)
            let failures = await slack.fake.recorder.calls.filter { $0.outcome != "ok" }.count
            #expect(failures == 6)
        }
    }

    @Test func errorsThatWillNeverSucceedAreRecordedOnceAndNotRetried() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            await slack.fake.recorder.script("chat.postMessage", [.error("channel_not_found")])
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            try await slack.deliverOutbox()
            let recorder = slack.fake.recorder
            #expect(await recorder.calls.filter { $0.method == "chat.postMessage" && $0.outcome == "channel_not_found" }.count == 1)
            // The update of a message that never existed fails with it; the requester's DM still goes out.
            #expect(await recorder.calls.filter { $0.method == "chat.update" }.isEmpty)
            let counts = try await slack.store.outboxCounts()
            #expect(counts.failed == 2)
            #expect(counts.sent == 1)
            let errors = try await Rows.strings("SELECT last_error FROM slack_notifications WHERE status = 'failed' ORDER BY id", in: slack.database)
            #expect(errors == ["channel_not_found", "the message it updates was never delivered"])
        }
    }

    /// Rows this version cannot turn into a Slack call fail loudly with the reason; nothing is sent for them.
    @Test func rowsThatCannotBeSentFailWithTheReasonAndSendNothing() async throws {
        try await AppHarness.run { slack in
            try await slack.store.client.query(
                """
                INSERT INTO slack_notifications (notification_type, recipient, payload) VALUES
                    ('carrier_pigeon', 'C0PAYMENTS', '{}'::jsonb), ('ephemeral', 'U0DEV0001', '[1]'::jsonb)
                """, logger: AppHarness.quietLogger)
            try await slack.deliverOutbox()
            #expect(await slack.fake.recorder.calls.isEmpty)
            let errors = try await Rows.strings("SELECT last_error FROM slack_notifications WHERE status = 'failed' ORDER BY id", in: slack.database)
            #expect(errors == ["unknown notification type carrier_pigeon", "its payload is not an object of strings"])
        }
    }

    @Test func aTransientErrorGivesUpAfterTheLastAttempt() async throws {
        try await AppHarness.run { slack in
            _ = try await slack.submit()
            await slack.fake.recorder.script("chat.postMessage", Array(repeating: .serverError, count: 3))
            var settings = SlackOutboxWorker.Settings.fast
            settings.maxAttempts = 3
            try await slack.deliverOutbox(settings: settings)
            #expect(try await slack.store.outboxCounts().failed == 1)
            #expect(await slack.fake.recorder.calls.count == 3)
        }
    }

    @Test func updatesWaitForTheirMessageAndApplyInOrder() async throws {
        try await AppHarness.run { slack in
            let id = try await slack.submit()
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            try await slack.deliverOutbox()
            let methods = await slack.fake.recorder.calls.map(\.method)
            let post = try #require(methods.firstIndex(of: "chat.postMessage"))
            let update = try #require(methods.firstIndex(of: "chat.update"))
            #expect(post < update)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aRestartMidOutboxLosesAndDuplicatesNothing() async throws {
        try await AppHarness.run { slack in
            for index in 1...8 { _ = try await slack.submit("SELECT \(index)") }
            // The first gateway delivers a few, then stops in the middle of a call.
            await slack.fake.recorder.script("chat.postMessage", [.serverError])
            let first = SlackOutboxWorker(outbox: slack.store, slack: CountingSlack(slack.slack, stopAfter: 3), settings: .fast,
                                           logger: AppHarness.quietLogger)
            let running = Task { try await first.run() }
            // Wait until it has spent its calls and hangs in the next one, however slow the machine.
            for _ in 0..<600 where await Self.deliveredRequests(slack).count < 2 {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(200))
            running.cancel()
            try await running.value
            let afterFirst = await Self.deliveredRequests(slack)
            #expect(!afterFirst.isEmpty && afterFirst.count < 8, "\(afterFirst)")

            // The restarted gateway delivers the rest, and nothing twice.
            try await slack.deliverOutbox()
            let delivered = await Self.deliveredRequests(slack)
            #expect(delivered.sorted { Int($0)! < Int($1)! } == (1...8).map(String.init))
            #expect(try await slack.store.outboxCounts() == (0, 8, 0))
        }
    }
}

/// A Slack that answers like the real one for `stopAfter` calls, then never answers: a gateway stopped in the
/// middle of a call, which never reached Slack.
struct CountingSlack: SlackWebAPI {
    let wrapped: any SlackWebAPI
    let remaining: Counter

    init(_ wrapped: any SlackWebAPI, stopAfter: Int) {
        self.wrapped = wrapped
        self.remaining = Counter(stopAfter)
    }

    func call(_ method: String, _ arguments: JSONValue) async -> SlackCallResult {
        guard await remaining.take() else {
            try? await Task.sleep(for: .seconds(3600))
            return .transient("the gateway stopped")
        }
        return await wrapped.call(method, arguments)
    }

    func call(_ method: String, form: [String: String]) async -> SlackCallResult {
        await wrapped.call(method, form: form)
    }

    func upload(to url: String, length: Int, next: @escaping @Sendable () async throws -> ByteBuffer?) async -> SlackCallResult {
        await wrapped.upload(to: url, length: length, next: next)
    }

    actor Counter {
        var value: Int
        init(_ value: Int) { self.value = value }
        func take() -> Bool {
            guard value > 0 else { return false }
            value -= 1
            return true
        }
    }
}
