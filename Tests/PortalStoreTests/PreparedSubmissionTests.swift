import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateServer
import QueryGateTestSupport
import Testing

/// The submission's prepared statements (by person and by Slack account) are prepared once per connection: whatever the first call bound (a nil
/// where the next has a number), every later call on that connection must still run.
@Suite("The prepared submission")
struct PreparedSubmissionTests {
    @Test func submissionsWithAndWithoutTheirOptionalValuesShareOneConnection() async throws {
        try await TestDatabase.withMigrated { database in
            try await Organisation.seed(database.store)
            var configuration = database.server.clientConfiguration(database: database.name)
            configuration.options.maximumConnections = 1
            try await PortalDatabase.withClient(configuration, logger: database.server.logger) { client in
                let store = PortalStore(client: client, logger: database.server.logger)
                let dev = try #require(try await store.user(slackUserID: Organisation.SlackIDs.dev))
                // Text that is no MongoDB request (its level for MongoDB is nil), then text that is one of both
                // (a number there), inside the answer's deadline and then outside it (no milliseconds left: nil).
                let sql = try NewRequest(target: "pg-main/customer_db", queryText: "SELECT count(*) FROM customers", reason: "r")
                let both = try NewRequest(target: "pg-main/customer_db", queryText: "db.customers.find({})", reason: "r")
                let first = try await PortalDeadline.answer(within: .slack) { try await store.submit(sql, by: dev, via: .slack) }
                let second = try await PortalDeadline.answer(within: .slack) { try await store.submit(both, by: dev, via: .slack) }
                let third = try await store.submit(sql, by: dev, via: .slack)
                #expect([first.id, second.id, third.id].sorted() == [first.id, first.id + 1, first.id + 2])
                #expect(try await store.user(slackUserID: Organisation.SlackIDs.dev)?.id == dev.id)

                // The same for the submission by Slack account (migration 017), on the same connection.
                var byAccount: [Int] = []
                for (request, deadline) in [(sql, true), (both, true), (sql, false), (both, false)] {
                    let submit: @Sendable () async throws -> PortalStore.SlackSubmission = { try await store.submit(request, bySlackUser: Organisation.SlackIDs.dev, via: .slack) }
                    let answer = deadline ? try await PortalDeadline.answer(within: .slack, submit) : try await submit()
                    guard case .submitted(let submitted) = answer else { Issue.record("Dev's account was not found: \(answer)"); return }
                    byAccount.append(submitted.id)
                }
                #expect(byAccount == Array((third.id + 1)...(third.id + 4)))
                // Its audit rows name the person the account is linked to, as a submission by the person does.
                let actors = try await client.query(
                    "SELECT DISTINCT actor_user_id, actor_label, source FROM audit_logs WHERE action = 'request.submitted'"
                ).decode((Int, String, String).self).reduce(into: []) { $0.append($1) }
                #expect(actors.count == 1)
                #expect(actors.first?.0 == dev.id)
                #expect(actors.first?.1 == Organisation.Emails.dev)
                #expect(actors.first?.2 == "slack")
            }
        }
    }

    /// A replica still running the code from before migration 017 calls `querygate_submit`, which now hands over to
    /// `querygate_record_submission`: its submissions are recorded, with their audit and outbox rows, and its answer
    /// names the approvers in JSON as before, until it restarts.
    @Test func theSubmissionFunctionOfBeforeMigration17StillRecords() async throws {
        try await TestDatabase.withMigrated { database in
            let store = database.store
            try await Organisation.seed(store)
            // A second manager of the pod, with no Slack account: the arrays hold '' for it, the answers nil/null.
            try await store.addUser(
                NewUser(email: EmailAddress("zed@example.com"), name: "Zed", role: .manager, pod: PodName("payments"), slackUserID: nil),
                by: .system)
            let dev = try #require(try await store.user(slackUserID: Organisation.SlackIDs.dev))
            let podID = try #require(dev.podID)
            let rows = try await database.client.query(
                """
                SELECT outcome, request_id, pod_name, approvers::text FROM querygate_submit(
                    \(dev.id), \(podID), \(dev.email), 'slack', 'slack', 'request.submitted', 'pg-main', 'customer_db', 'query',
                    'SELECT 1', 'Ticket 4711', 0, NULL, 2000)
                """).decode((String, Int?, String?, String?).self).reduce(into: []) { $0.append($1) }
            #expect(rows.count == 1)
            #expect(rows.first?.0 == "submitted")
            #expect(rows.first?.2 == "payments")
            let approvers = try #require(JSONValue.decode(Array((rows.first?.3 ?? "").utf8)))
            #expect(approvers == [
                ["name": "Maria", "email": .string(Organisation.Emails.maria), "slack_user_id": .string(Organisation.SlackIDs.maria)],
                ["name": "Zed", "email": "zed@example.com", "slack_user_id": .null],
            ])
            let id = try #require(rows.first?.1)
            #expect(try await store.requestDetails(id: id)?.requester.email == Organisation.Emails.dev)
            #expect(try await Rows.count("audit_logs WHERE action = 'request.submitted'", in: database) == 1)
            #expect(try await Rows.count("slack_notifications WHERE notification_type = 'approval_request'", in: database) == 1)

            // The current code's answer names the same people, in the same order.
            let request = try NewRequest(target: Organisation.target, queryText: "SELECT 1", reason: "Ticket 4711")
            let submitted = try await store.submit(request, by: dev, via: .slack)
            #expect(submitted.approvers == [
                RequestDetails.Person(name: "Maria", email: Organisation.Emails.maria, slackUserID: Organisation.SlackIDs.maria),
                RequestDetails.Person(name: "Zed", email: "zed@example.com", slackUserID: nil),
            ])
        }
    }
}
