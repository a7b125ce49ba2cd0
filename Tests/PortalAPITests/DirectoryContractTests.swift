import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PortalAPI
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateServer
import QueryGateTestSupport
import SlackGateway
import Testing

/// The portal API's directory and sync routes (instances, target search, the audit log, syncs, the blacklist)
/// through its routes, once on PostgreSQL (`PortalStore`) and once on the in-memory twins (`MemorySessionStore`,
/// `MemoryDirectory`), with the same assertions: the twin that route tests use without a database must answer as
/// the real store does. The memory run opens no database connection.
@Suite("Directory: one contract, two stores")
struct DirectoryContractTests {
    typealias Emails = Organisation.Emails

    /// The doors a contract run needs: the API, and what the CLI, a sync worker or an administrator at `psql`
    /// would change beside it.
    struct Door: Sendable {
        let call: @Sendable (HTTPRequest.Method, String, String?, JSONValue?) async throws -> APIResponse
        let addInstance: @Sendable (NewInstance) async throws -> Void
        let addDatabase: @Sendable (InstanceName, DatabaseName) async throws -> Void
        let deactivateInstance: @Sendable (InstanceName) async throws -> Void
        let deactivateDatabase: @Sendable (InstanceName, DatabaseName) async throws -> Void
        /// A sync of pg-main from the CLI that lists only customer_db: it succeeds and changes nothing.
        let syncPGMainFromCLI: @Sendable () async throws -> Void
        /// A scheduled sync a worker has claimed for `lease` and is running.
        let beginScheduledSync: @Sendable (InstanceName, _ worker: String, _ lease: Duration) async throws -> Void

        func signIn(_ email: String) async throws -> String {
            let response = try await call(.post, "/api/v1/auth/login", nil, ["email": .string(email), "password": .string(AppHarness.password)])
            return try #require(response.json?["access_token"]?.stringValue, "sign-in of \(email): \(response.status)")
        }
    }

    typealias Store = ContractStore

    static let cli = AuditActor.cli(osUser: "root")

    static func withDoor(_ store: Store, _ body: @escaping @Sendable (Door) async throws -> Void) async throws {
        switch store {
        case .postgres:
            try await AppHarness.run { app in
                let store = app.store
                let client = app.database.client
                try await body(Door(
                    call: { method, path, token, json in try await app.api(method, path, token: token, json: json) },
                    addInstance: { try await store.addInstance($0, by: .system) },
                    addDatabase: { instance, name in try await store.addDatabase(instance: instance, name: name, description: nil, by: .system) },
                    deactivateInstance: { name in
                        try await client.query("UPDATE database_instances SET is_active = false WHERE name = \(name.rawValue)")
                    },
                    deactivateDatabase: { instance, name in
                        try await client.query(
                            """
                            UPDATE databases SET is_active = false
                            WHERE name = \(name.rawValue) AND instance_id = (SELECT id FROM database_instances WHERE name = \(instance.rawValue))
                            """)
                    },
                    syncPGMainFromCLI: {
                        let outcome = try await store.syncInstance(named: InstanceName("pg-main"), trigger: .cli, by: cli, worker: "contract",
                                                                   lease: .seconds(60)) { _ in ["customer_db"] }
                        #expect(outcome == .succeeded(SyncCounts(found: 1, added: 0, reactivated: 0, markedMissing: 0, skipped: 0)))
                    },
                    beginScheduledSync: { instance, worker, lease in
                        let start = try await store.beginSync(of: instance, trigger: .schedule, by: .system, worker: worker, lease: lease)
                        guard case .claimed = start else { throw HarnessError("the scheduled sync of \(instance) did not start: \(start)") }
                    }))
            }
        case .memory:
            try await withMemoryAPI(body)
        }
    }

    /// The API's routes on the memory twins (`MemoryAPI`).
    static func withMemoryAPI(_ body: @escaping @Sendable (Door) async throws -> Void) async throws {
        let sessions = MemorySessionStore()
        let directory = MemoryDirectory()
        let hasher = try await PasswordHasher(threadPool: .singleton, cost: 4)
        let hash = try await hasher.hash(AppHarness.password)
        // As `Organisation.seed` numbers them: Dev first, Ada last.
        await sessions.add(User(id: 1, email: Emails.dev, name: "Dev", role: .developer, podID: 1, podName: "payments",
                                slackUserID: Organisation.SlackIDs.dev, isActive: true), passwordHash: hash)
        await sessions.add(User(id: 6, email: Emails.ada, name: "Ada", role: .admin, podID: nil, podName: nil,
                                slackUserID: Organisation.SlackIDs.ada, isActive: true), passwordHash: hash)
        try await Organisation.seed(directory)
        try await MemoryAPI.run(sessions: sessions, directory: directory, hasher: hasher) { call in
            try await body(Door(
                call: call,
                addInstance: { await directory.addInstance($0) },
                addDatabase: { instance, name in try await directory.addDatabase(instance: instance, name: name) },
                deactivateInstance: { await directory.deactivateInstance(named: $0) },
                deactivateDatabase: { instance, name in await directory.deactivateDatabase(instance: instance, name: name) },
                syncPGMainFromCLI: {
                    try await directory.recordSucceededSync(of: InstanceName("pg-main"), trigger: .cli, by: cli,
                                                            counts: SyncCounts(found: 1, added: 0, reactivated: 0, markedMissing: 0, skipped: 0))
                },
                beginScheduledSync: { instance, worker, lease in
                    try await directory.recordRunningSync(of: instance, trigger: .schedule, by: .system, worker: worker, lease: lease)
                }))
        }
    }

    static let mongoMain = NewInstance(name: try! InstanceName("mongo-main"), type: .mongodb,
                                       credentials: .connectionStringVariable(try! EnvironmentVariableName("MONGO_URI", field: "x")), description: nil)
    static let pgOld = NewInstance(name: try! InstanceName("pg-old"), type: .postgresql,
                                   credentials: .environmentPrefix(try! EnvironmentVariableName("PG_OLD", field: "x")), description: "retired")

    static func strings(_ response: APIResponse, _ list: String, _ field: String) -> [String] {
        response.json?[list]?.arrayValue?.compactMap { $0[field]?.stringValue } ?? []
    }

    @Test("An admin adds, lists and removes blacklist patterns; one per scope; others are refused", arguments: Store.allCases)
    func blacklist(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let ada = try await door.signIn(Emails.ada)
            let dev = try await door.signIn(Emails.dev)
            let system = ["admin", "config", "local", "postgres", "rdsadmin", "template0", "template1"]

            let added = try await door.call(.post, "/api/v1/blacklist", ada,
                                            ["pattern": " scratch ", "kind": "prefix", "instance": "pg-main", "reason": "  temporary  "])
            #expect(added.status == .created, "\(String(describing: added.json))")
            let id = try #require(added.json?["id"]?.intValue)
            #expect(added.json?["pattern"]?.stringValue == "scratch" && added.json?["kind"]?.stringValue == "prefix")
            #expect(added.json?["instance"]?.stringValue == "pg-main" && added.json?["reason"]?.stringValue == "temporary")

            // The patterns of every instance first, then the instance's own, each by pattern.
            let listed = try await door.call(.get, "/api/v1/blacklist?instance=pg-main", ada, nil)
            #expect(Self.strings(listed, "patterns", "pattern") == system + ["scratch"])
            #expect(Self.strings(try await door.call(.get, "/api/v1/blacklist", ada, nil), "patterns", "pattern") == system + ["scratch"])
            #expect(Self.strings(try await door.call(.get, "/api/v1/blacklist?instance=pg-other", ada, nil), "patterns", "pattern") == system)

            // A scope has a pattern once, whatever its kind; every instance is a scope of its own.
            let twice = try await door.call(.post, "/api/v1/blacklist", ada, ["pattern": "scratch", "kind": "regex", "instance": "pg-main"])
            #expect(twice.status == .badRequest && twice.errorCode == "invalid_input")
            #expect(twice.json?["error"]?["field"]?.stringValue == "pattern")
            let systemAgain = try await door.call(.post, "/api/v1/blacklist", ada, ["pattern": "postgres"])
            #expect(systemAgain.status == .badRequest && systemAgain.json?["error"]?["field"]?.stringValue == "pattern")
            let global = try await door.call(.post, "/api/v1/blacklist", ada, ["pattern": "scratch"])
            #expect(global.status == .created && global.json?["instance"] == nil && global.json?["kind"]?.stringValue == "exact")
            // A bad regex is refused before the instance is looked up.
            let badRegex = try await door.call(.post, "/api/v1/blacklist", ada, ["pattern": "(", "kind": "regex", "instance": "nope"])
            #expect(badRegex.status == .badRequest && badRegex.json?["error"]?["field"]?.stringValue == "pattern")
            let unknown = try await door.call(.post, "/api/v1/blacklist", ada, ["pattern": "x", "instance": "nope"])
            #expect(unknown.status == .badRequest && unknown.json?["error"]?["field"]?.stringValue == "instance")

            #expect(try await door.call(.delete, "/api/v1/blacklist/\(id)", ada, nil).status == .noContent)
            #expect(try await door.call(.delete, "/api/v1/blacklist/\(id)", ada, nil).status == .notFound)
            #expect(Self.strings(try await door.call(.get, "/api/v1/blacklist?instance=pg-main", ada, nil), "patterns", "pattern")
                    == ["admin", "config", "local", "postgres", "rdsadmin", "scratch", "template0", "template1"])

            for (method, path, body) in [(HTTPRequest.Method.get, "/api/v1/blacklist", nil), (.post, "/api/v1/blacklist", ["pattern": "y"]),
                                         (.delete, "/api/v1/blacklist/1", nil)] as [(HTTPRequest.Method, String, JSONValue?)] {
                let refused = try await door.call(method, path, dev, body)
                #expect(refused.status == .forbidden && refused.errorCode == "forbidden", "\(method) \(path)")
            }
            #expect(Self.strings(try await door.call(.get, "/api/v1/blacklist", ada, nil), "patterns", "pattern").count == system.count + 1)
        }
    }

    @Test("A sync is queued once; a second waits for it; the history is newest first", arguments: Store.allCases)
    func syncs(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let ada = try await door.signIn(Emails.ada)
            let dev = try await door.signIn(Emails.dev)
            try await door.syncPGMainFromCLI()
            try await door.addInstance(Self.pgOld)
            try await door.deactivateInstance(Self.pgOld.name)

            let instances = try await door.call(.get, "/api/v1/instances", dev, nil).json?["instances"]?.arrayValue ?? []
            let pgMain = instances.first { $0["name"]?.stringValue == "pg-main" }
            #expect(pgMain?["last_sync_status"]?.stringValue == "succeeded" && pgMain?["last_sync_at"]?.stringValue != nil)

            let queued = try await door.call(.post, "/api/v1/instances/pg-main/sync", ada, nil)
            #expect(queued.status == .accepted, "\(String(describing: queued.json))")
            #expect(queued.headers[.location] == "/api/v1/instances/pg-main/syncs")
            let sync = queued.json?["sync"]
            #expect(sync?["status"]?.stringValue == "queued" && sync?["trigger"]?.stringValue == "api")
            #expect(sync?["requested_by"]?.stringValue == Emails.ada && sync?["instance"]?.stringValue == "pg-main")

            let again = try await door.call(.post, "/api/v1/instances/pg-main/sync", ada, nil)
            #expect(again.status == .conflict && again.errorCode == "sync_in_progress")
            let message = again.json?["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("a sync of pg-main asked for by \(Emails.ada) (api)") && message.hasSuffix("is waiting to run"), "\(message)")

            let history = try await door.call(.get, "/api/v1/instances/pg-main/syncs", ada, nil).json?["syncs"]?.arrayValue ?? []
            #expect(history.compactMap { $0["status"]?.stringValue } == ["queued", "succeeded"])
            #expect(history.compactMap { $0["trigger"]?.stringValue } == ["api", "cli"])
            #expect(history.first?["id"] == sync?["id"] && history.first?["counts"] == nil && history.first?["finished_at"] == nil)
            #expect(history.last?["requested_by"]?.stringValue == "cli:root" && history.last?["finished_at"]?.stringValue != nil)
            #expect(history.last?["counts"] == ["found": 1, "added": 0, "reactivated": 0, "marked_missing": 0, "skipped": 0])
            let newest = try await door.call(.get, "/api/v1/instances/pg-main/syncs?limit=1", ada, nil).json?["syncs"]?.arrayValue ?? []
            #expect(newest.count == 1 && newest.first?["id"] == sync?["id"])
            #expect(try await door.call(.get, "/api/v1/instances/pg-main/syncs?limit=0", ada, nil).status == .badRequest)

            // A deactivated instance exists (404 is for none) but cannot be synced.
            let retired = try await door.call(.post, "/api/v1/instances/pg-old/sync", ada, nil)
            #expect(retired.status == .badRequest && retired.json?["error"]?["field"]?.stringValue == "instance")
            #expect(try await door.call(.get, "/api/v1/instances/pg-old/syncs", ada, nil).json?["syncs"]?.arrayValue?.isEmpty == true)
            #expect(try await door.call(.post, "/api/v1/instances/nope/sync", ada, nil).status == .notFound)
            #expect(try await door.call(.get, "/api/v1/instances/nope/syncs", ada, nil).status == .notFound)
            #expect(try await door.call(.post, "/api/v1/instances/pg-main/sync", dev, nil).status == .forbidden)
            #expect(try await door.call(.get, "/api/v1/instances/pg-main/syncs", dev, nil).status == .forbidden)
        }
    }

    @Test("A running sync holds its instance while its lease does; one whose worker stopped is closed as failed", arguments: Store.allCases)
    func abandonedSyncs(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let ada = try await door.signIn(Emails.ada)
            let pgTwo = NewInstance(name: try InstanceName("pg-two"), type: .postgresql,
                                    credentials: .environmentPrefix(try EnvironmentVariableName("PG_TWO", field: "x")), description: nil)
            try await door.addInstance(pgTwo)
            try await door.beginScheduledSync(InstanceName("pg-main"), "replica-gone", .milliseconds(1))
            try await door.beginScheduledSync(pgTwo.name, "replica-busy", .seconds(60))
            try await Task.sleep(for: .milliseconds(50))

            let busy = try await door.call(.post, "/api/v1/instances/pg-two/sync", ada, nil)
            #expect(busy.status == .conflict && busy.errorCode == "sync_in_progress")
            let message = busy.json?["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("a sync of pg-two asked for by system (schedule)") && message.hasSuffix("is running"), "\(message)")

            #expect(try await door.call(.post, "/api/v1/instances/pg-main/sync", ada, nil).status == .accepted)
            let history = try await door.call(.get, "/api/v1/instances/pg-main/syncs", ada, nil).json?["syncs"]?.arrayValue ?? []
            #expect(history.compactMap { $0["status"]?.stringValue } == ["queued", "failed"])
            #expect(history.last?["error"]?.stringValue
                    == "interrupted: the QueryGate process running it (replica-gone) stopped before it finished; nothing was changed")
            #expect(history.last?["trigger"]?.stringValue == "schedule" && history.last?["finished_at"]?.stringValue != nil)
            #expect(history.last?["counts"] == nil)

            let instances = try await door.call(.get, "/api/v1/instances", ada, nil).json?["instances"]?.arrayValue ?? []
            #expect(instances.compactMap { $0["last_sync_status"]?.stringValue } == ["failed"])
            #expect(instances.first?["name"]?.stringValue == "pg-main" && instances.last?["last_sync_at"] == nil)
        }
    }

    @Test("The audit log shows an admin's actions newest first, a page at a time, and nothing for what was refused", arguments: Store.allCases)
    func audit(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let ada = try await door.signIn(Emails.ada)
            let dev = try await door.signIn(Emails.dev)
            let added = try await door.call(.post, "/api/v1/blacklist", ada, ["pattern": "scratch", "instance": "pg-main", "reason": "temporary"])
            let id = try #require(added.json?["id"]?.intValue)
            #expect(try await door.call(.post, "/api/v1/blacklist", ada, ["pattern": "scratch", "instance": "pg-main"]).status == .badRequest)
            #expect(try await door.call(.post, "/api/v1/instances/pg-main/sync", ada, nil).status == .accepted)
            #expect(try await door.call(.post, "/api/v1/instances/pg-main/sync", ada, nil).status == .conflict)
            #expect(try await door.call(.delete, "/api/v1/blacklist/\(id)", ada, nil).status == .noContent)
            #expect(try await door.call(.delete, "/api/v1/blacklist/\(id)", ada, nil).status == .notFound)

            let first = try await door.call(.get, "/api/v1/audit?limit=2", ada, nil)
            #expect(first.status == .ok)
            let entries = first.json?["entries"]?.arrayValue ?? []
            #expect(entries.compactMap { $0["action"]?.stringValue } == ["blacklist.removed", "instance.sync_requested"])
            #expect(entries.allSatisfy { $0["actor"]?.stringValue == Emails.ada && $0["source"]?.stringValue == "api" })
            #expect(entries.first?["entity_type"]?.stringValue == "database_blacklist" && entries.first?["entity_id"]?.stringValue == String(id))
            #expect(entries.first?["details"] == ["pattern": "scratch", "kind": "exact", "instance": "pg-main"])
            #expect(entries.last?["entity_type"]?.stringValue == "database_instance"
                    && entries.last?["details"] == ["instance": "pg-main", "via": "api"])
            let cursor = try #require(first.json?["next_cursor"]?.stringValue)
            #expect(cursor == entries.last?["id"]?.intValue.map(String.init))

            let next = try await door.call(.get, "/api/v1/audit?limit=2&cursor=\(cursor)", ada, nil).json?["entries"]?.arrayValue ?? []
            #expect(next.first?["action"]?.stringValue == "blacklist.added")
            #expect(next.first?["details"] == ["pattern": "scratch", "kind": "exact", "instance": "pg-main", "reason": "temporary"])
            #expect(next.compactMap { $0["id"]?.intValue }.allSatisfy { $0 < Int(cursor)! })

            #expect(try await door.call(.get, "/api/v1/audit?limit=0", ada, nil).status == .badRequest)
            #expect(try await door.call(.get, "/api/v1/audit?cursor=0", ada, nil).status == .badRequest)
            #expect(try await door.call(.get, "/api/v1/audit", dev, nil).status == .forbidden)
        }
    }

    @Test("Target search: any part of <instance>/<database>, ignoring case, active databases of active instances", arguments: Store.allCases)
    func targets(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let dev = try await door.signIn(Emails.dev)
            try await door.addInstance(Self.mongoMain)
            try await door.addInstance(Self.pgOld)
            try await door.addDatabase(Self.mongoMain.name, DatabaseName("customer_events"))
            try await door.addDatabase(InstanceName("pg-main"), DatabaseName("orders_db"))
            try await door.addDatabase(InstanceName("pg-main"), DatabaseName("archived_customers"))
            try await door.addDatabase(Self.pgOld.name, DatabaseName("customer_legacy"))
            try await door.deactivateDatabase(InstanceName("pg-main"), DatabaseName("archived_customers"))
            try await door.deactivateInstance(Self.pgOld.name)

            func search(_ text: String) async throws -> [String] {
                let query = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
                let response = try await door.call(.get, "/api/v1/databases?search=\(query)", dev, nil)
                #expect(response.status == .ok)
                return Self.strings(response, "databases", "target")
            }
            #expect(try await search("CUSTOMER") == ["mongo-main/customer_events", "pg-main/customer_db"])
            #expect(try await search("main/c") == ["mongo-main/customer_events", "pg-main/customer_db"])
            #expect(try await search("pg-main/") == ["pg-main/customer_db", "pg-main/orders_db"])
            #expect(try await search("") == ["mongo-main/customer_events", "pg-main/customer_db", "pg-main/orders_db"])
            // LIKE's wildcards are the characters themselves.
            #expect(try await search("%").isEmpty)
            #expect(try await search("n_c").isEmpty)
            #expect(try await search("s_d") == ["pg-main/orders_db"])
            #expect(try await search("legacy").isEmpty)

            let all = try await door.call(.get, "/api/v1/databases", dev, nil).json?["databases"]?.arrayValue ?? []
            #expect(all.first?["type"]?.stringValue == "mongodb" && all.first?["instance"]?.stringValue == "mongo-main")
            #expect(all.first?["name"]?.stringValue == "customer_events")

            let instances = try await door.call(.get, "/api/v1/instances", dev, nil).json?["instances"]?.arrayValue ?? []
            #expect(instances.compactMap { $0["name"]?.stringValue } == ["mongo-main", "pg-main", "pg-old"])
            #expect(instances.compactMap { $0["database_count"]?.intValue } == [1, 3, 1])
            #expect(instances.compactMap { $0["is_active"]?.boolValue } == [true, true, false])
            #expect(instances.last?["description"]?.stringValue == "retired" && instances.last?["last_sync_at"] == nil)
            #expect(try await door.call(.get, "/api/v1/databases?other=1", dev, nil).status == .badRequest)
        }
    }
}
