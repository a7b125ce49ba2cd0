import Foundation
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// A database a sync found gone from its server is neither offered nor requestable, and `/query` says why.
@Suite("/query on a database missing from its server")
struct MissingDatabaseTests {
    @Test func aRequestOnAMissingDatabaseSaysItNoLongerExistsAndRecordsNothing() async throws {
        try await AppHarness.run { slack in
            try await slack.database.client.query(
                "UPDATE databases SET is_active = false, missing_since = now(), source = 'synced' WHERE name = 'customer_db'")
            let (response, json) = try await slack.command(
                "pg-main/customer_db Ticket 1 ```SELECT 1```", as: AppHarness.People.dev)
            #expect(response.status == .ok)
            let text = json?["text"]?.stringValue ?? ""
            #expect(text.contains("pg-main/customer_db no longer exists on the server"), "\(text)")
            #expect(try await Rows.count("query_requests", in: slack.database) == 0)
            #expect(try await slack.store.searchTargets("customer").isEmpty)
        }
    }
}
