@testable import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import Testing

/// Submissions that queued, recorded in one statement (migrations 018 and 019, `SubmissionBatcher`), on a real server: each
/// is recorded, answered and audited as it would be alone, and a statement the server refuses records none of them.
@Suite("Submissions recorded together")
struct SubmissionsTogetherTests {
    /// The sample organisation, through a store whose patience outlasts the test: a statement held by a lock is never
    /// overtaken, so what queues behind it stays queued until the lock goes.
    static func seededStoreThatWaits(on database: TestDatabase) async throws -> PortalStore {
        var batching = PortalStore.SubmissionBatching.measured
        batching.patience = .seconds(60)
        let store = PortalStore(client: database.client, logger: database.server.logger, batching: batching)
        try await Organisation.seed(store)
        return store
    }

    /// Submissions that arrive while the requests table is locked queue behind the statement already waiting (with a
    /// patience longer than the test, so that no second statement overtakes it); once the table is free they go in
    /// one transaction, and each caller gets its own request, audited and queued for Slack.
    @Test(.timeLimit(.minutes(1)))
    func submissionsThatQueuedAreRecordedInOneTransactionEachAsItsOwn() async throws {
        try await TestDatabase.withMigrated { database in
            let store = try await Self.seededStoreThatWaits(on: database)
            let lock = try await HeldLock.take("LOCK TABLE query_requests IN ACCESS EXCLUSIVE MODE", on: database.client)

            let reasons = (1...10).map { "Ticket \($0)" }
            let submissions = reasons.map { reason in
                Task {
                    let request = try NewRequest(target: Organisation.target, queryText: "SELECT count(*) FROM customers", reason: reason)
                    return (reason, try await store.submit(request, bySlackUser: Organisation.SlackIDs.dev, via: .slack))
                }
            }
            // One statement waits for the lock; the other nine queue behind it.
            for _ in 0..<1000 where store.submissions.queued < 9 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(store.submissions.queued == 9)
            try await lock.release()

            var ids: [Int] = []
            for submission in submissions {
                let (reason, answer) = try await submission.value
                guard case .submitted(let submitted) = answer else { Issue.record("\(reason): \(answer)"); continue }
                #expect(submitted.approvers.map(\.email) == [Organisation.Emails.maria])
                #expect(submitted.channelID == "C0PAYMENTS")
                // Each answer names the caller's own request.
                #expect(try await store.requestDetails(id: submitted.id)?.reason == reason)
                ids.append(submitted.id)
            }
            #expect(Set(ids).count == 10)
            // Two transactions: the one that waited for the lock alone, and the nine that queued, together.
            let transactions = try await Rows.strings("SELECT count(DISTINCT xmin::text)::text FROM query_requests", in: database)
            #expect(transactions == ["2"])
            #expect(try await Rows.count("audit_logs WHERE action = 'request.submitted' AND actor_label = 'dev@example.com'", in: database) == 10)
            #expect(try await Rows.count("slack_notifications WHERE notification_type = 'approval_request'", in: database) == 10)
        }
    }

    /// A queued statement the server refuses because of one of its submissions (here a person whose row is gone, so
    /// the request's foreign key fails) records none of them; they are sent again one by one, and only the bad one
    /// fails, with the server's error.
    @Test(.timeLimit(.minutes(1)))
    func oneBadSubmissionAmongQueuedOnesFailsAloneAndTheOthersAreRecorded() async throws {
        try await TestDatabase.withMigrated { database in
            let store = try await Self.seededStoreThatWaits(on: database)
            let dev = try #require(try await store.user(slackUserID: Organisation.SlackIDs.dev))
            let ghost = User(id: 999_999, email: "ghost@example.com", name: "Ghost", role: .developer, podID: dev.podID,
                             podName: dev.podName, slackUserID: nil, isActive: true)
            let lock = try await HeldLock.take("LOCK TABLE query_requests IN ACCESS EXCLUSIVE MODE", on: database.client)

            let people = [dev, dev, ghost, dev, dev]
            let submit = { (index: Int) in
                Task {
                    let request = try NewRequest(target: Organisation.target, queryText: "SELECT 1", reason: "Ticket \(index)")
                    return try await store.submit(request, by: people[index], via: .api)
                }
            }
            // The first goes alone and waits for the lock; the other four, the ghost among them, queue behind it.
            var submissions = [submit(0)]
            for _ in 0..<1000 where try await Rows.count("pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", in: database) == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            submissions += (1..<people.count).map(submit)
            for _ in 0..<1000 where store.submissions.queued < 4 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(store.submissions.queued == 4)
            try await lock.release()

            var recorded = 0
            for (person, submission) in zip(people, submissions) {
                switch await submission.result {
                case .success: recorded += 1; #expect(person.id == dev.id)
                case .failure(let error):
                    #expect(person.id == ghost.id)
                    #expect((error as? PSQLError)?.serverInfo?[.sqlState] == "23503", "\(error)")
                }
            }
            #expect(recorded == 4)
            #expect(try await Rows.count("query_requests", in: database) == 4)
            #expect(try await Rows.count("audit_logs WHERE action = 'request.submitted'", in: database) == 4)
        }
    }

    /// The function itself: each submission answered by its number with what it would be answered alone, and only
    /// those that could be recorded were.
    @Test func eachSubmissionOfAStatementIsAnsweredAsItWouldBeAlone() async throws {
        try await TestDatabase.withMigrated { database in
            try await Organisation.seed(database.store)
            let dev = try #require(try await database.store.user(slackUserID: Organisation.SlackIDs.dev))
            let podID = try #require(dev.podID)
            let rows = try await database.client.query(
                """
                SELECT item, outcome, request_id IS NOT NULL, pod_name, approver_emails FROM querygate_record_submissions(
                    ARRAY[\(Organisation.SlackIDs.dev), \(Organisation.SlackIDs.stranger), '', \(Organisation.SlackIDs.dev)],
                    ARRAY[0, 0, \(dev.id), 0]::bigint[], ARRAY[0, 0, \(podID), 0]::bigint[], ARRAY['', '', \(dev.email), ''],
                    ARRAY['slack', 'slack', 'api', 'slack'], ARRAY['slack', 'slack', 'portal', 'slack'],
                    ARRAY['request.submitted', 'request.submitted', 'request.submitted', 'request.submitted'],
                    ARRAY['pg-main', 'pg-main', 'pg-main', 'pg-main'], ARRAY['customer_db', 'customer_db', 'customer_db', 'no_such_db'],
                    ARRAY['query', 'query', 'query', 'query'], ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 4'],
                    ARRAY['one', 'two', 'three', 'four'], ARRAY[0, 0, -1, 0], ARRAY[-1, -1, -1, -1], 60000)
                """).decode((Int, String, Bool, String?, [String]?).self).reduce(into: []) { $0.append($1) }
            #expect(rows.map(\.0) == [1, 2, 3, 4])
            // The third's text is valid on no engine (-1 for both): refused as the function alone refuses it.
            #expect(rows.map(\.1) == ["submitted", "stranger", "invalid_for_engine", "no_such_target"])
            #expect(rows.map(\.2) == [true, false, false, false])
            #expect(rows[0].3 == "payments")
            #expect(rows[0].4 == [Organisation.Emails.maria])
            #expect(try await Rows.strings("SELECT reason FROM query_requests", in: database) == ["one"])
            #expect(try await Rows.count("audit_logs WHERE action = 'request.submitted'", in: database) == 1)
            #expect(try await Rows.count("slack_notifications WHERE notification_type = 'approval_request'", in: database) == 1)
        }
    }

    /// Recorded set-wise (migration 019), several requests of one statement keep their order and their own rows:
    /// ids follow the submissions, each has its audit entry and its approval message, and each person whose Home
    /// tab shows them gets one refresh, not one per request.
    @Test func requestsOfOneStatementKeepTheirOrderAndEachPersonsHomeTabIsRefreshedOnce() async throws {
        try await TestDatabase.withMigrated { database in
            try await Organisation.seed(database.store)
            try await database.client.query("UPDATE users SET home_opened_at = now()")
            let dev = try #require(try await database.store.user(slackUserID: Organisation.SlackIDs.dev))
            let podID = try #require(dev.podID)
            let ids = try await database.client.query(
                """
                SELECT request_id FROM querygate_record_submissions(
                    ARRAY[\(Organisation.SlackIDs.dev), \(Organisation.SlackIDs.dev), \(Organisation.SlackIDs.dev)],
                    ARRAY[0, 0, 0]::bigint[], ARRAY[0, 0, 0]::bigint[], ARRAY['', '', ''],
                    ARRAY['slack', 'slack', 'slack'], ARRAY['slack', 'slack', 'slack'],
                    ARRAY['request.submitted', 'request.submitted', 'request.submitted'],
                    ARRAY['pg-main', 'pg-main', 'pg-main'], ARRAY['customer_db', 'customer_db', 'customer_db'],
                    ARRAY['query', 'query', 'query'], ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3'],
                    ARRAY['one', 'two', 'three'], ARRAY[0, 0, 0], ARRAY[-1, -1, -1], 60000)
                ORDER BY item
                """).decode(Int.self).reduce(into: []) { $0.append($1) }
            #expect(ids.count == 3)
            #expect(ids == ids.sorted())
            #expect(try await Rows.strings("SELECT reason FROM query_requests ORDER BY id", in: database) == ["one", "two", "three"])
            #expect(try await Rows.strings("SELECT entity_id FROM audit_logs WHERE action = 'request.submitted' ORDER BY entity_id::bigint", in: database)
                    == ids.map(String.init))
            #expect(try await Rows.strings("SELECT request_id::text FROM slack_notifications WHERE notification_type = 'approval_request' ORDER BY request_id", in: database)
                    == ids.map(String.init))
            // The requester, the pod's managers and the admins, once each.
            let audience = try await Rows.count(
                "users WHERE is_active AND slack_user_id IS NOT NULL AND (id = \(dev.id) OR role = 'admin' OR (role = 'manager' AND pod_id = \(podID)))",
                in: database)
            #expect(audience >= 2)
            #expect(try await Rows.count("slack_notifications WHERE notification_type = 'home_tab'", in: database) == audience)
            #expect(try await Rows.count("(SELECT DISTINCT recipient FROM slack_notifications WHERE notification_type = 'home_tab') AS people", in: database) == audience)
        }
    }

    /// The single function hands its NULLs to the set-wise one (migration 019), which reads a NULL Slack account as
    /// "by id", as 017 did, and stores a requester's label as given.
    @Test func theSingleFunctionsNullsMeanWhatTheyMeantIn017() async throws {
        try await TestDatabase.withMigrated { database in
            try await Organisation.seed(database.store)
            let dev = try #require(try await database.store.user(slackUserID: Organisation.SlackIDs.dev))
            let podID = try #require(dev.podID)
            let outcomes = try await database.client.query(
                """
                SELECT outcome FROM querygate_record_submission(
                    NULL, \(dev.id), \(podID), 'a label of its own', 'api', 'portal', 'request.submitted', 'pg-main',
                    'customer_db', 'query', 'SELECT 1', 'why', 0, NULL, 60000)
                """).decode(String.self).reduce(into: []) { $0.append($1) }
            #expect(outcomes == ["submitted"])
            #expect(try await Rows.strings("SELECT actor_label FROM audit_logs WHERE action = 'request.submitted'", in: database)
                    == ["a label of its own"])
            // A NULL in the batch's Slack accounts is "by id" too, not a stranger.
            let batched = try await database.client.query(
                """
                SELECT outcome FROM querygate_record_submissions(
                    ARRAY[NULL]::text[], ARRAY[\(dev.id)]::bigint[], ARRAY[\(podID)]::bigint[], ARRAY['a label of its own'],
                    ARRAY['api'], ARRAY['portal'], ARRAY['request.submitted'], ARRAY['pg-main'], ARRAY['customer_db'],
                    ARRAY['query'], ARRAY['SELECT 2'], ARRAY['why'], ARRAY[0], ARRAY[-1], 60000)
                """).decode(String.self).reduce(into: []) { $0.append($1) }
            #expect(batched == ["submitted"])
            #expect(try await Rows.strings("SELECT requester_id::text FROM query_requests", in: database) == [String(dev.id), String(dev.id)])
        }
    }

    /// A statement the server refuses records none of its submissions: here its arrays disagree in length, and
    /// then one of its submissions breaks a constraint after another was recorded in the same transaction.
    @Test func aRefusedStatementRecordsNoneOfItsSubmissions() async throws {
        try await TestDatabase.withMigrated { database in
            try await Organisation.seed(database.store)
            let call = { (types: String, texts: String) in
                try await database.client.query(PostgresQuery(unsafeSQL: """
                    SELECT count(*) FROM querygate_record_submissions(
                        ARRAY['\(Organisation.SlackIDs.dev)', '\(Organisation.SlackIDs.dev)'], ARRAY[0, 0]::bigint[], ARRAY[0, 0]::bigint[],
                        ARRAY['', ''], ARRAY['slack', 'slack'], ARRAY['slack', 'slack'], ARRAY['request.submitted', 'request.submitted'],
                        ARRAY['pg-main', 'pg-main'], ARRAY['customer_db', 'customer_db'], \(types), \(texts),
                        ARRAY['one', 'two'], ARRAY[0, 0], ARRAY[-1, -1], NULL)
                    """)).decode(Int.self).reduce(0, +)
            }
            let uneven = await #expect(throws: PSQLError.self) { try await call("ARRAY['query', 'query']", "ARRAY['SELECT 1']") }
            #expect(uneven?.serverInfo?[.sqlState] == "22023")
            let broken = await #expect(throws: PSQLError.self) { try await call("ARRAY['query', 'no such type']", "ARRAY['SELECT 1', 'SELECT 2']") }
            #expect(broken?.serverInfo?[.sqlState] == "23514")
            #expect(try await Rows.count("query_requests", in: database) == 0)
            #expect(try await Rows.count("audit_logs WHERE action = 'request.submitted'", in: database) == 0)
            #expect(try await Rows.count("slack_notifications", in: database) == 0)
            // The same two, well formed, are recorded.
            #expect(try await call("ARRAY['query', 'query']", "ARRAY['SELECT 1', 'SELECT 2']") == 2)
            #expect(try await Rows.count("query_requests", in: database) == 2)
        }
    }
}
