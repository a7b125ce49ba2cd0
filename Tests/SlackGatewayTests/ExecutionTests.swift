import Foundation
import Logging
import NIOPosix
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateServer
import RequestExecution
import QueryGateTestSupport
import SlackGateway
import TargetEngines
import Testing

/// From `/query` to the result in the thread, on the real portal and a real target database.
@Suite("Running approved requests end to end")
struct ExecutionTests {
    typealias People = AppHarness.People

    static let threadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    /// The harness, plus a copy of the sample target registered as `pg-main/<its name>` with credentials in the
    /// executor's environment.
    static func run(_ body: @Sendable @escaping (AppHarness, TestDatabase) async throws -> Void) async throws {
        try await TestDatabase.withTarget { target in
            try await AppHarness.run { slack in
                try await slack.store.addDatabase(instance: InstanceName("pg-main"), name: DatabaseName(target.name), description: nil, by: .system)
                try await body(slack, target)
            }
        }
    }

    static func executor(_ slack: AppHarness, _ target: TestDatabase, id: String = "test-executor", lease: Duration = .seconds(30),
                         limits: ExecutionLimits = ExecutionLimits(), credentials: [String: String]? = nil,
                         progress: Duration = .seconds(15)) -> RequestExecutor {
        var settings = RequestExecutor.Settings()
        settings.executorID = id
        settings.lease = lease
        settings.progressInterval = progress
        settings.pollInterval = .milliseconds(50)
        settings.credentials = credentials ?? [
            "PG_INSTANCE_1_HOST": target.server.host, "PG_INSTANCE_1_PORT": String(target.server.port),
            "PG_INSTANCE_1_USER": target.server.user, "PG_INSTANCE_1_PASSWORD": target.server.password,
        ]
        return RequestExecutor(queue: slack.store, postgres: PostgresEngine(threadPool: threadPool, limits: limits, logger: AppHarness.quietLogger),
                               mongo: MongoEngine(threadPool: threadPool, limits: limits, logger: AppHarness.quietLogger),
                               settings: settings, logger: AppHarness.quietLogger)
    }

    static func submitAndApprove(_ slack: AppHarness, _ target: TestDatabase, _ query: String, script: Bool = false) async throws -> Int {
        let text = try await slack.reply("\(script ? "script " : "")pg-main/\(target.name) checking ```\(query)```", as: People.dev)
        guard let range = text.range(of: "*#"), let id = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
            throw HarnessError("submission failed: \(text)")
        }
        _ = try await slack.click("request.approve", request: id, as: People.maria)
        return id
    }

    /// The thread replies Slack received for the approval message with `ts`.
    static func threadReplies(_ slack: AppHarness) async -> [JSONValue] {
        await slack.fake.recorder.successful("chat.postMessage").map(\.arguments).filter { $0["thread_ts"] != nil }
    }

    @Test func aSignedCommandAnApprovalAndTheRowsInTheThread() async throws {
        try await Self.run { slack, target in
            let id = try await Self.submitAndApprove(slack, target, "SELECT id, email, phone FROM customers WHERE id <= 3 ORDER BY id")
            #expect(try await Self.executor(slack, target).runNext() == id)
            #expect(try await slack.status(of: id) == .completed)
            try await slack.deliverOutbox()

            let reply = try #require(await Self.threadReplies(slack).first)
            #expect(reply["thread_ts"]?.stringValue == "1732460000.000101")
            #expect(reply["channel"]?.stringValue == "C0PAYMENTS")
            let words = reply["blocks"]?.allText ?? ""
            #expect(words.contains("✅ *Request #\(id) completed* (statement time "))
            #expect(words.contains(" ms, whole run "))
            #expect(words.contains("`SELECT 3`"))
            // Slack's own table, numbers to the right; the monospace preview is the notification text.
            let table = try #require(reply["blocks"]?.arrayValue?.first { $0["type"]?.stringValue == "table" })
            let cells = table["rows"]?.arrayValue?.map { $0.arrayValue?.compactMap { $0["text"]?.stringValue } ?? [] }
            #expect(cells == [["id", "email", "phone"], ["1", "customer1@example.com", "''"], ["2", "customer2@example.com", "+49 30 000002"],
                              ["3", "customer3@example.com", "+49 30 000003"]])
            #expect(table["column_settings"]?.arrayValue?.map { $0["align"]?.stringValue } == ["right", "left", "left"])
            #expect(reply["text"]?.stringValue?.contains("""
                ```id | email                 | phone
                ---+-----------------------+--------------
                1  | customer1@example.com |
                2  | customer2@example.com | +49 30 000002
                3  | customer3@example.com | +49 30 000003```
                """) == true)
            #expect(await slack.fake.recorder.violations.isEmpty)
            #expect(await slack.fake.recorder.successful("files.completeUploadExternal").isEmpty)

            let updates = await slack.fake.recorder.successful("chat.update").map { $0.arguments["blocks"]?.allText ?? "" }
            // Updates render the state at delivery: delivered after the run, they skip "running".
            #expect(updates.last?.contains("*Completed* in ") == true)
            #expect(updates.last?.contains(" (whole run), approved by") == true)
            #expect(updates.last?.contains("The result is in the thread.") == true)
            let dm = try #require(await slack.fake.recorder.successful("chat.postMessage").last?.arguments["text"]?.stringValue)
            #expect(dm.hasPrefix("✅ Your request *#\(id)* on `pg-main/\(target.name)` completed."))
            #expect(dm.contains("(<https://example.slack.com/archives/C0PAYMENTS/p1732460000000101|open it>)"))
            let actions = try await slack.store.recentAuditEntries(limit: 3).map(\.action)
            #expect(actions == ["request.completed", "request.executing", "request.approved"])
        }
    }

    /// Slack answering `ok` without an upload URL reserved nothing: the file must still land, not be counted as sent.
    @Test func aReservationWithoutAnUploadURLIsTriedAgainNotCountedAsSent() async throws {
        try await Self.run { slack, target in
            let id = try await Self.submitAndApprove(slack, target, "SELECT id, customer_id, status, placed_at, note FROM orders ORDER BY id")
            try await Self.executor(slack, target).runNext()
            await slack.fake.recorder.script("files.getUploadURLExternal", [.reply(["ok": true])])
            try await slack.deliverOutbox()

            let recorder = slack.fake.recorder
            #expect(await recorder.calls.filter { $0.method == "files.getUploadURLExternal" }.count == 2)
            let complete = try #require(await recorder.successful("files.completeUploadExternal").first?.arguments)
            #expect(complete["thread_ts"]?.stringValue == "1732460000.000101")
            let fileID = try #require(complete["files"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(String(decoding: await recorder.uploads[fileID] ?? [], as: UTF8.self).hasPrefix("id,customer_id,status,placed_at,note\r\n"))
        }
    }

    @Test func aLargeResultIsUploadedToTheThreadAsTheCSVOfTheQuery() async throws {
        try await Self.run { slack, target in
            let id = try await Self.submitAndApprove(slack, target, "SELECT id, customer_id, status, placed_at, note FROM orders ORDER BY id")
            try await Self.executor(slack, target).runNext()
            let stored = try #require(try await slack.store.exports(of: id).first)
            #expect(try await slack.store.exports(of: id).map(\.format) == [.csv])
            #expect(stored.chunks >= 1 && stored.bytes > 30_000)
            try await slack.deliverOutbox()

            let recorder = slack.fake.recorder
            let reserve = try #require(await recorder.successful("files.getUploadURLExternal").first?.arguments)
            #expect(reserve["filename"]?.stringValue == "querygate-request-\(id).csv")
            #expect(reserve["length"]?.stringValue == String(stored.bytes))
            let complete = try #require(await recorder.successful("files.completeUploadExternal").first?.arguments)
            #expect(complete["thread_ts"]?.stringValue == "1732460000.000101")
            #expect(complete["channel_id"]?.stringValue == "C0PAYMENTS")
            let fileID = try #require(complete["files"]?.arrayValue?.first?["id"]?.stringValue)
            let csv = String(decoding: await recorder.uploads[fileID] ?? [], as: UTF8.self)

            let lines = csv.components(separatedBy: "\r\n").dropLast()
            #expect(lines.count == 1001)
            #expect(lines.first == "id,customer_id,status,placed_at,note")
            let expected = try await Rows.strings(
                """
                SELECT id || ',' || customer_id || ',' || status || ',' || placed_at::text || ',' || coalesce(note, '')
                FROM orders ORDER BY id
                """, in: target)
            #expect(Array(lines.dropFirst()) == expected)
            #expect(try await slack.store.exports(of: id).isEmpty, "the export was kept after the upload")

            let words = await Self.threadReplies(slack).first?["blocks"]?.allText ?? ""
            #expect(words.contains("1,000 rows, 20 shown"))
            #expect(words.contains("the full result (1,000 rows) is attached as CSV"))
            #expect(complete["initial_comment"]?.stringValue == "Request #\(id): The full result (1,000 rows) is in these files (CSV).")
        }
    }

    /// With the row cap in force, the thread, the upload and the file say how much of the result was kept.
    @Test func theRowCapSaysTheFirstRowsOfHowMany() async throws {
        try await Self.run { slack, target in
            let id = try await Self.submitAndApprove(slack, target, "SELECT g FROM generate_series(1, 5000) AS g")
            try await Self.executor(slack, target, limits: ExecutionLimits(maxRows: 100)).runNext()
            try await slack.deliverOutbox()
            let words = await Self.threadReplies(slack).first?["blocks"]?.allText ?? ""
            #expect(words.contains("5,000 rows, 20 shown"))
            #expect(words.contains("QueryGate kept only the first 100 rows"))
            #expect(words.contains("the first 100 of 5,000 rows are attached as CSV"))
            #expect(!words.contains("full result"))
            let complete = try #require(await slack.fake.recorder.successful("files.completeUploadExternal").first?.arguments)
            #expect(complete["initial_comment"]?.stringValue == "Request #\(id): The first 100 of 5,000 rows are in these files (CSV).")
            let fileID = try #require(complete["files"]?.arrayValue?.first?["id"]?.stringValue)
            let lines = String(decoding: await slack.fake.recorder.uploads[fileID] ?? [], as: UTF8.self).components(separatedBy: "\r\n").dropLast()
            #expect(lines.count == 101)
        }
    }

    /// QueryGate's own `statement_timeout` is named, with its value, in the thread and the direct message.
    @Test(.timeLimit(.minutes(3)))
    func aRunEndedByQueryGatesTimeLimitSaysSo() async throws {
        try await Self.run { slack, target in
            let id = try await Self.submitAndApprove(slack, target, "SELECT pg_sleep(20)")
            try await Self.executor(slack, target, limits: ExecutionLimits(statementTimeout: .milliseconds(300))).runNext()
            #expect(try await slack.status(of: id) == .failed)
            try await slack.deliverOutbox()
            let words = await Self.threadReplies(slack).first?["blocks"]?.allText ?? ""
            let plainly = "QueryGate's time limit ended it: it ran longer than QUERYGATE_STATEMENT_TIMEOUT (300 ms), "
                + "so the statement was cancelled and the transaction rolled back"
            #expect(words.contains("ERROR: \(plainly) (SQLSTATE 57014)"))
            #expect(words.contains("Nothing of it was applied."))
            #expect(words.contains("DETAIL: the database said: canceling statement due to statement timeout"))
            let messages = await slack.fake.recorder.successful("chat.postMessage").map(\.arguments)
            let dm = messages.compactMap { $0["text"]?.stringValue }.first { $0.hasPrefix("⚠️ Your request") } ?? ""
            #expect(dm.contains(plainly), "\(dm)")
        }
    }

    /// While a request runs, its approval message says for how long, through outbox rows that do not pile up while
    /// Slack has not taken the last one.
    @Test(.timeLimit(.minutes(3)))
    func aLongRunShowsHowLongItHasRunAndItsUpdatesDoNotPileUp() async throws {
        try await Self.run { slack, target in
            // Long enough to be still running when it is looked at: CI's timed phase, with two browsers beside it,
            // once took 6 s to get there (the run had completed; seen in a fresh-clone run).
            let id = try await Self.submitAndApprove(slack, target, "SELECT pg_sleep(12)")
            try await slack.deliverOutbox()
            let executor = Self.executor(slack, target, progress: .milliseconds(200))
            let running = Task { try await executor.runNext() }
            let progressRows = "SELECT count(*)::text FROM slack_notifications WHERE request_id = \(id) AND payload->>'progress' = 'running'"
            let undelivered = progressRows + " AND status = 'pending'"
            func count(_ sql: String) async throws -> Int { Int(try await Rows.strings(sql, in: slack.database).first ?? "") ?? -1 }
            // Waits for the claim and for an undelivered progress row rather than for a fixed time: a loaded machine
            // is slow, and the delivery of the update queued at the claim may take the first progress row with it.
            for _ in 0..<100 where try await slack.status(of: id) != .executing { try await Task.sleep(for: .milliseconds(50)) }
            try await slack.deliverOutbox()  // the update queued at the claim
            for _ in 0..<100 where try await count(undelivered) == 0 { try await Task.sleep(for: .milliseconds(50)) }
            let queued = try await count(progressRows)
            try await Task.sleep(for: .milliseconds(1400))
            // Some seven ticks since, no new row: the undelivered update stands for the rest.
            #expect(try await count(undelivered) == 1)
            #expect(try await count(progressRows) == queued)
            try await slack.deliverOutbox()
            let update = await slack.fake.recorder.successful("chat.update").last?.arguments["blocks"]?.allText ?? ""
            #expect(update.contains(/\*Running\* for [1-9] s since <!date\^/), "\(update)")
            #expect(!update.contains("request.approve"))
            // Delivered, it makes room for the next one.
            var rows = queued
            for _ in 0..<20 where rows == queued {
                try await Task.sleep(for: .milliseconds(100))
                rows = try await count(progressRows)
            }
            #expect(rows == queued + 1)
            #expect(try await running.value == id)
            try await slack.deliverOutbox()
            let last = await slack.fake.recorder.successful("chat.update").last?.arguments["blocks"]?.allText ?? ""
            #expect(last.contains("*Completed* in "))
        }
    }

    @Test func aFailingQueryShowsTheErrorWithItsSQLStateAndWhereItPoints() async throws {
        try await Self.run { slack, target in
            let id = try await Self.submitAndApprove(slack, target, "SELECT id,\n       emial\nFROM customers")
            try await Self.executor(slack, target).runNext()
            #expect(try await slack.status(of: id) == .failed)
            try await slack.deliverOutbox()
            let words = await Self.threadReplies(slack).first?["blocks"]?.allText ?? ""
            #expect(words.contains("⚠️ *Request #\(id) failed* (statement time "))
            #expect(words.contains("Nothing of it was applied."))
            #expect(words.contains("```ERROR: column \"emial\" does not exist (SQLSTATE 42703)\nLINE 2:        emial\n               ^"))
            #expect(words.contains("HINT: Perhaps you meant to reference the column \"customers.email\"."))
            let dm = await slack.fake.recorder.successful("chat.postMessage").last?.arguments["text"]?.stringValue ?? ""
            #expect(dm.contains("failed: column \"emial\" does not exist (SQLSTATE 42703)."))
        }
    }

    @Test func aWriteHiddenInAFunctionIsRefusedByTheReadOnlyTransaction() async throws {
        try await Self.run { slack, target in
            try await target.client.query(
                """
                CREATE FUNCTION forget_phone(customer bigint) RETURNS bigint LANGUAGE sql
                AS $$ UPDATE customers SET phone = NULL WHERE id = customer RETURNING id $$
                """)
            let id = try await Self.submitAndApprove(slack, target, "SELECT forget_phone(2)")
            try await Self.executor(slack, target).runNext()
            try await slack.deliverOutbox()
            let words = await Self.threadReplies(slack).first?["blocks"]?.allText ?? ""
            #expect(words.contains("(SQLSTATE 25006)"), "\(words)")
            #expect(try await slack.status(of: id) == .failed)
            #expect(try await Rows.strings("SELECT phone FROM customers WHERE id = 2", in: target) == ["+49 30 000002"])
        }
    }

    @Test func aMissingCredentialVariableFailsThatRequestByName() async throws {
        try await Self.run { slack, target in
            let id = try await Self.submitAndApprove(slack, target, "SELECT 1")
            try await Self.executor(slack, target, credentials: ["PG_INSTANCE_1_USER": "x"]).runNext()
            try await slack.deliverOutbox()
            #expect(try await slack.status(of: id) == .failed)
            let words = await Self.threadReplies(slack).first?["blocks"]?.allText ?? ""
            #expect(words.contains("PG_INSTANCE_1_HOST is not set where QueryGate runs"))
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func twoExecutorsAndTwentyApprovedRequestsGiveTwentyExecutionsNoneTwice() async throws {
        try await Self.run { slack, target in
            try await target.client.query("CREATE TABLE runs (request int NOT NULL, at timestamptz NOT NULL DEFAULT now())")
            var ids: [Int] = []
            for index in 1...20 {
                ids.append(try await Self.submitAndApprove(slack, target, "INSERT INTO runs (request) VALUES (\(index))"))
            }
            let executors = [Self.executor(slack, target, id: "a"), Self.executor(slack, target, id: "b")]
            let ran = try await withThrowingTaskGroup(of: [Int].self) { group in
                for executor in executors {
                    group.addTask {
                        var mine: [Int] = []
                        while let id = try await executor.runNext() { mine.append(id) }
                        return mine
                    }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            #expect(ran.flatMap { $0 }.sorted() == ids.sorted())
            #expect(ran.allSatisfy { !$0.isEmpty }, "one executor did all the work: \(ran)")
            #expect(try await Rows.strings("SELECT string_agg(request::text, ',' ORDER BY request) FROM runs", in: target)
                == [(1...20).map(String.init).joined(separator: ",")])
            for id in ids { #expect(try await slack.status(of: id) == .completed) }
            let executing = try await slack.store.recentAuditEntries(limit: 500).filter { $0.action == "request.executing" }
            #expect(executing.count == 20)
        }
    }

    @Test func anExpiredLeaseBecomesAnInterruptedFailureAndIsNotRunAgain() async throws {
        try await Self.run { slack, target in
            try await target.client.query("CREATE TABLE runs (request int NOT NULL)")
            let id = try await Self.submitAndApprove(slack, target, "INSERT INTO runs VALUES (1)")
            // A worker claims it and dies before recording anything.
            let claimed = try await slack.store.claimApproved(executorID: "died", lease: .milliseconds(200))
            #expect(claimed?.id == id)
            try await Task.sleep(for: .milliseconds(400))

            let survivor = Self.executor(slack, target, id: "survivor")
            #expect(try await slack.store.failInterruptedRequests() == [id])
            #expect(try await survivor.runNext() == nil)
            #expect(try await slack.store.failInterruptedRequests() == [])
            #expect(try await slack.status(of: id) == .failed)
            #expect(try await Rows.count("runs", in: target) == 0)
            #expect(try await slack.store.recordOutcome(requestID: id, executorID: "died", outcome: .completed(
                ExecutionResult(statements: [], preview: nil, notices: [], milliseconds: 1, exportBytes: nil))) == false)

            try await slack.deliverOutbox()
            let words = await Self.threadReplies(slack).first?["blocks"]?.allText ?? ""
            #expect(words.contains("interrupted: the worker running it stopped before it finished; it may or may not have been applied"))
            #expect(!words.contains("Nothing of it was applied"))
            #expect(try await slack.store.recentAuditEntries(limit: 1).first?.action == "request.interrupted")
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func anApprovalWakesARunningExecutorThroughListenNotify() async throws {
        try await Self.run { slack, target in
            var settings = RequestExecutor.Settings()
            settings.pollInterval = .seconds(3600)
            settings.sweepInterval = .seconds(3600)
            settings.credentials = [
                "PG_INSTANCE_1_HOST": target.server.host, "PG_INSTANCE_1_PORT": String(target.server.port),
                "PG_INSTANCE_1_USER": target.server.user, "PG_INSTANCE_1_PASSWORD": target.server.password,
            ]
            let executor = RequestExecutor(queue: slack.store, postgres: PostgresEngine(threadPool: Self.threadPool, limits: ExecutionLimits(),
                                                                                         logger: AppHarness.quietLogger),
                                           mongo: MongoEngine(threadPool: Self.threadPool, limits: ExecutionLimits(), logger: AppHarness.quietLogger),
                                           settings: settings, logger: AppHarness.quietLogger)
            let running = Task { try await executor.run() }
            defer { running.cancel() }
            // Let the first poll find nothing and the listener subscribe.
            try await Task.sleep(for: .milliseconds(500))
            let id = try await Self.submitAndApprove(slack, target, "SELECT 42")
            var status = try await slack.status(of: id)
            for _ in 0..<100 where status != .completed {
                try await Task.sleep(for: .milliseconds(100))
                status = try await slack.status(of: id)
            }
            #expect(status == .completed)
        }
    }
}
