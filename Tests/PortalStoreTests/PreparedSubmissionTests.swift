import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateServer
import QueryGateTestSupport
import Testing

/// The submission's prepared statement is prepared once per connection: whatever the first call bound (a nil
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
            }
        }
    }
}
