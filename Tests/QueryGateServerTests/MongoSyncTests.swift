import Foundation
import NIOPosix
import PortalStore
import QueryGateCore
import QueryGateServer
import QueryGateTestSupport
import TargetEngines
import Testing

/// The hybrid sync of a MongoDB instance, through libmongoc against the wire-protocol test server (no MongoDB
/// server can be installed here; see Tests/MongoTestServer).
@Suite("MongoDB sync")
struct MongoSyncTests {
    @Test func aMongoInstanceIsDiscovered() async throws {
        try await TestDatabase.withMigrated { database in
            let store = database.store
            let instance = try InstanceName("mongo-sync")
            try await store.addInstance(
                NewInstance(name: instance, type: .mongodb,
                            credentials: .connectionStringVariable(try EnvironmentVariableName("MONGO_SYNC_URI", field: "x")), description: nil),
                by: .cli(osUser: "tester"))
            let name = MongoTestServer.freshDatabaseName()
            // The test server is shared: this instance sees only this test's database.
            try await database.client.query(
                """
                INSERT INTO database_blacklist (instance_id, pattern, kind)
                SELECT id, \("^(?!" + name + "$)"), 'regex' FROM database_instances WHERE name = 'mongo-sync'
                """)
            let engine = MongoEngine(threadPool: .singleton, limits: ExecutionLimits(), logger: database.server.logger)
            let uri = try MongoTestServer.uri()
            func run(_ script: String) async throws {
                let export = FileManager.default.temporaryDirectory.appendingPathComponent("qg-mongo-sync-\(UUID().uuidString).jsonl")
                defer { try? FileManager.default.removeItem(at: export) }
                _ = try await engine.execute(MongoEngine.Job(uri: uri, uriVariable: "MONGO_SYNC_URI", database: name, script: script,
                                                             exportURL: export)).get()
            }
            try await run("db.orders.insertOne({ n: 1 })")
            let sync = DatabaseSync(store: store, threadPool: .singleton, environment: ["MONGO_SYNC_URI": uri], timeout: .seconds(10),
                                    logger: database.server.logger)

            let first = try await sync.sync(instance: instance, trigger: .cli, by: .cli(osUser: "tester")).first?.outcome
            #expect(DatabaseSyncTests.changes(first ?? .syncedRecently) == [1, 1, 0, 0], "\(String(describing: first))")
            #expect(try await Rows.strings("SELECT name || ' ' || source FROM databases", in: database) == ["\(name) synced"])
            // What follows a listing (marking missing, reactivating) is the same reconcile as PostgreSQL's, tested there;
            // QueryGate's own policy refuses `dropDatabase`, so a test cannot drop this one through the engine.
        }
    }
}
