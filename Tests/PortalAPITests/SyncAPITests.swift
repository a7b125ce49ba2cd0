import Foundation
import Hummingbird
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Admins steer the sync through the API: queue a sync, read the history, keep the blacklist; bad input is refused
/// with nothing written.
@Suite struct SyncAPITests {
    typealias Emails = Organisation.Emails

    @Test func anAdminQueuesOneSyncAtATimeAndReadsItInTheHistory() async throws {
        try await AppHarness.run { app in
            let ada = try await app.signIn(Emails.ada).access
            let queued = try await app.api(.post, "/api/v1/instances/pg-main/sync", token: ada)
            #expect(queued.status == .accepted, "\(String(describing: queued.json))")
            #expect(queued.headers[.location] == "/api/v1/instances/pg-main/syncs")
            let sync = queued.json?["sync"]
            #expect(sync?["status"]?.stringValue == "queued" && sync?["trigger"]?.stringValue == "api")
            #expect(sync?["requested_by"]?.stringValue == Emails.ada)

            let again = try await app.api(.post, "/api/v1/instances/pg-main/sync", token: ada)
            #expect(again.status == .conflict && again.errorCode == "sync_in_progress")
            #expect(again.json?["error"]?["message"]?.stringValue?.contains("asked for by \(Emails.ada) (api)") == true,
                    "\(String(describing: again.json))")

            let history = try await app.api(.get, "/api/v1/instances/pg-main/syncs", token: ada)
            let syncs = history.json?["syncs"]?.arrayValue ?? []
            #expect(syncs.count == 1 && syncs.first?["id"] == sync?["id"] && syncs.first?["status"]?.stringValue == "queued")
            #expect(try await Rows.count("audit_logs WHERE action = 'instance.sync_requested'", in: app.database) == 1)

            #expect(try await app.api(.post, "/api/v1/instances/nope/sync", token: ada).status == .notFound)
            #expect(try await app.api(.get, "/api/v1/instances/nope/syncs", token: ada).status == .notFound)
            #expect(try await app.api(.get, "/api/v1/instances/pg-main/syncs?limit=0", token: ada).status == .badRequest)
            #expect(try await Rows.count("database_sync_history", in: app.database) == 1)
        }
    }

    @Test func anAdminAddsListsAndRemovesBlacklistPatterns() async throws {
        try await AppHarness.run { app in
            let ada = try await app.signIn(Emails.ada).access
            let added = try await app.api(.post, "/api/v1/blacklist", token: ada,
                                          json: ["pattern": "^tmp_[0-9]+$", "kind": "regex", "instance": "pg-main", "reason": "scratch"])
            #expect(added.status == .created, "\(String(describing: added.json))")
            let id = try #require(added.json?["id"]?.intValue)
            #expect(added.json?["kind"]?.stringValue == "regex" && added.json?["instance"]?.stringValue == "pg-main")

            let listed = try await app.api(.get, "/api/v1/blacklist?instance=pg-main", token: ada)
            let patterns = listed.json?["patterns"]?.arrayValue?.compactMap { $0["pattern"]?.stringValue } ?? []
            #expect(patterns.contains("^tmp_[0-9]+$") && patterns.contains("template0"), "\(patterns)")

            #expect(try await app.api(.delete, "/api/v1/blacklist/\(id)", token: ada).status == .noContent)
            #expect(try await app.api(.delete, "/api/v1/blacklist/\(id)", token: ada).status == .notFound)
            #expect(try await app.api(.delete, "/api/v1/blacklist/abc", token: ada).status == .notFound)
            let audited = try await Rows.strings(
                "SELECT action FROM audit_logs WHERE entity_type = 'database_blacklist' ORDER BY id", in: app.database)
            #expect(audited == ["blacklist.added", "blacklist.removed"])
        }
    }

    static let badPatterns: [(JSONValue, String)] = [
        (["pattern": "  "], "pattern"),
        (["pattern": "(", "kind": "regex"], "pattern"),
        (["pattern": "postgres"], "pattern"),
        (["pattern": "x", "kind": "glob"], "kind"),
        (["pattern": "x", "instance": "nope"], "instance"),
        (["kind": "exact"], "pattern"),
    ]

    @Test(arguments: badPatterns)
    func badPatternsAreRefusedAndWriteNothing(body: JSONValue, field: String) async throws {
        try await AppHarness.run { app in
            let ada = try await app.signIn(Emails.ada).access
            let before = try await Rows.count("database_blacklist", in: app.database)
            let refused = try await app.api(.post, "/api/v1/blacklist", token: ada, json: body)
            #expect(refused.status == .badRequest && refused.errorCode == "invalid_input", "\(String(describing: refused.json))")
            #expect(refused.json?["error"]?["field"]?.stringValue == field, "\(String(describing: refused.json))")
            #expect(try await Rows.count("database_blacklist", in: app.database) == before)
            #expect(try await Rows.count("audit_logs WHERE entity_type = 'database_blacklist'", in: app.database) == 0)
        }
    }
}
