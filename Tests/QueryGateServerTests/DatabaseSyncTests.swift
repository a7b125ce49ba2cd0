import Foundation
import Logging
import NIOPosix
import PortalStore
import QueryGateCore
import QueryGateServer
import QueryGateTestSupport
import Testing

/// The hybrid sync against real PostgreSQL servers: databases created and dropped on the test cluster, and a
/// closed port for a server that is down.
@Suite("Database sync")
struct DatabaseSyncTests {
    static let tester = AuditActor.cli(osUser: "tester")

    static func syncer(_ fixture: SyncFixture, environment: [String: String]? = nil, timeout: Duration = .seconds(10)) -> DatabaseSync {
        DatabaseSync(store: fixture.database.store, threadPool: .singleton, environment: environment ?? fixture.environment,
                     timeout: timeout, logger: fixture.database.server.logger)
    }

    static func sync(_ fixture: SyncFixture, environment: [String: String]? = nil) async throws -> SyncOutcome {
        try await syncer(fixture, environment: environment).sync(instance: fixture.instance, trigger: .cli, by: tester).first!.outcome
    }

    /// found, added, reactivated, marked missing (skipped counts the other tests' databases too).
    static func changes(_ outcome: SyncOutcome) -> [Int]? {
        guard case .succeeded(let c) = outcome else { return nil }
        return [c.found, c.added, c.reactivated, c.markedMissing]
    }

    /// Runs `body` with a fixture, and drops its databases however it ends.
    static func withFixture(_ body: @Sendable (SyncFixture) async throws -> Void) async throws {
        try await TestDatabase.withMigrated { database in
            let fixture = try await SyncFixture.make(database)
            do {
                try await body(fixture)
                try await fixture.dropAll()
            } catch {
                try? await fixture.dropAll()
                throw error
            }
        }
    }

    @Test func discoversDatabasesKeepsManualRowsAndFollowsADropAndARecreate() async throws {
        try await Self.withFixture { fixture in
            let p = fixture.prefix
            try await fixture.create("orders", "billing", "typed")
            let store = fixture.database.store
            try await store.addDatabase(instance: fixture.instance, name: DatabaseName("\(p)_typed"), description: nil, by: Self.tester)
            try await store.addDatabase(instance: fixture.instance, name: DatabaseName("\(p)_elsewhere"), description: nil, by: Self.tester)

            #expect(Self.changes(try await Self.sync(fixture)) == [3, 2, 0, 0])
            #expect(try await fixture.rows() == [
                "\(p)_billing synced active", "\(p)_elsewhere manual active", "\(p)_orders synced active", "\(p)_typed manual active",
            ])
            #expect(try await Rows.strings(
                "SELECT name FROM databases WHERE last_seen_at IS NOT NULL ORDER BY name", in: fixture.database) == ["\(p)_billing", "\(p)_orders"])

            try await fixture.drop("orders", "typed")
            #expect(Self.changes(try await Self.sync(fixture)) == [1, 0, 0, 1])
            #expect(try await fixture.rows() == [
                "\(p)_billing synced active", "\(p)_elsewhere manual active", "\(p)_orders synced inactive missing", "\(p)_typed manual active",
            ])
            let listed = try await store.listDatabases(instance: fixture.instance)
            #expect(listed.first { $0.name == "\(p)_orders" }.map { "\($0.isActive) \($0.isMissing)" } == "false true")
            let offered = try await store.searchTargets(p).map(\.name)
            #expect(!offered.contains("\(p)_orders") && offered.contains("\(p)_billing"))

            try await fixture.create("orders")
            #expect(Self.changes(try await Self.sync(fixture)) == [2, 0, 1, 0])
            #expect(try await fixture.rows() == [
                "\(p)_billing synced active", "\(p)_elsewhere manual active", "\(p)_orders synced active", "\(p)_typed manual active",
            ])

            let history = try await store.syncHistory(instance: fixture.instance)
            #expect(history.map(\.status) == ["succeeded", "succeeded", "succeeded"])
            #expect(history.map(\.counts.markedMissing) == [0, 1, 0])
            #expect(history.allSatisfy { $0.trigger == "cli" && $0.triggeredBy == "cli:tester" && $0.finishedAt != nil })
            let instance = try await store.listInstances().first { $0.name == "pg-sync" }
            #expect(instance?.lastSyncStatus == "succeeded" && instance?.lastSyncAt != nil)
            #expect(instance?.lastSyncCounts?.reactivated == 1)
        }
    }

    @Test func aDisabledDatabaseStaysDisabledWhenItIsSeenAgain() async throws {
        try await Self.withFixture { fixture in
            let p = fixture.prefix
            try await fixture.create("quiet")
            _ = try await Self.sync(fixture)
            try await fixture.database.client.query("UPDATE databases SET is_active = false WHERE name = \(p + "_quiet")")
            #expect(Self.changes(try await Self.sync(fixture)) == [1, 0, 0, 0])
            #expect(try await fixture.rows() == ["\(p)_quiet synced inactive"])
        }
    }

    @Test func eachBlacklistKindSkipsNewNamesAndMarksSyncedOnesMissing() async throws {
        try await Self.withFixture { fixture in
            let p = fixture.prefix
            try await fixture.create("exact", "tmp_1", "tmp_2", "r42", "keep")
            try await fixture.database.store.addDatabase(instance: fixture.instance, name: DatabaseName("\(p)_tmp_manual"), description: nil, by: Self.tester)
            #expect(Self.changes(try await Self.sync(fixture)) == [5, 5, 0, 0])

            try await fixture.database.client.query(
                """
                INSERT INTO database_blacklist (instance_id, pattern, kind) VALUES
                    (NULL, \(p + "_exact"), 'exact'),
                    ((SELECT id FROM database_instances WHERE name = 'pg-sync'), \(p + "_tmp_"), 'prefix'),
                    (NULL, \("^" + p + "_r[0-9]+$"), 'regex')
                """)
            try await fixture.create("tmp_3")
            #expect(Self.changes(try await Self.sync(fixture)) == [1, 0, 0, 4])
            #expect(try await fixture.rows() == [
                "\(p)_exact synced inactive missing", "\(p)_keep synced active", "\(p)_r42 synced inactive missing",
                "\(p)_tmp_1 synced inactive missing", "\(p)_tmp_2 synced inactive missing", "\(p)_tmp_manual manual active",
            ])
        }
    }

    @Test func theSystemDatabasesAndThePortalsOwnAreNeverAdded() async throws {
        try await TestDatabase.withMigrated { database in
            let fixture = try await SyncFixture.make(database)
            // Only the seed's blacklist: every database of the cluster is listed, postgres and the templates are not
            // added, and neither is this test's portal database, which lives on the very server the instance names.
            try await database.client.query("DELETE FROM database_blacklist WHERE kind = 'regex'")
            let outcome = try await Self.sync(fixture)
            guard case .succeeded(let counts) = outcome else { Issue.record("\(outcome)"); return }
            #expect(counts.found >= 1 && counts.skipped >= 1)
            let names = try await Rows.strings("SELECT name FROM databases", in: database)
            #expect(!names.contains("postgres") && !names.contains("template0") && !names.contains("template1"))
            #expect(!names.contains(database.name), "QueryGate offered its own database as a target")
            #expect(names.contains("querygate_target_template"), "\(names)")
        }
    }

    @Test func aServerThatIsDownOrMissingVariablesChangesNothingAndIsRecorded() async throws {
        try await Self.withFixture { fixture in
            let p = fixture.prefix
            try await fixture.create("orders")
            _ = try await Self.sync(fixture)
            let before = try await Rows.strings("SELECT row_to_json(d)::text FROM databases d ORDER BY id", in: fixture.database)

            var down = fixture.environment
            down["\(fixture.variablePrefix)_PORT"] = "1"
            guard case .failed(let refused) = try await Self.sync(fixture, environment: down) else {
                Issue.record("a closed port synced"); return
            }
            #expect(refused.contains("127.0.0.1:1") || refused.contains(":1:"), "\(refused)")

            var unset = fixture.environment
            unset["\(fixture.variablePrefix)_HOST"] = nil
            #expect(try await Self.sync(fixture, environment: unset)
                == .failed("\(fixture.variablePrefix)_HOST is not set where QueryGate runs, so the target cannot be reached"))

            #expect(try await Rows.strings("SELECT row_to_json(d)::text FROM databases d ORDER BY id", in: fixture.database) == before)
            #expect(try await fixture.rows() == ["\(p)_orders synced active"])
            let history = try await fixture.database.store.syncHistory(instance: fixture.instance)
            #expect(history.map(\.status) == ["failed", "failed", "succeeded"])
            #expect(history.first?.errorMessage?.contains("_HOST is not set") == true)
            let stored = try await Rows.strings("SELECT row_to_json(h)::text FROM database_sync_history h", in: fixture.database).joined()
            #expect(!stored.contains(fixture.database.server.password))
            let instance = try await fixture.database.store.listInstances().first { $0.name == "pg-sync" }
            #expect(instance?.lastSyncStatus == "failed")
        }
    }

    @Test func aServerThatNeverAnswersFailsAtTheDeadline() async throws {
        try await Self.withFixture { fixture in
            let listener = try Blackhole()
            defer { listener.close() }
            var silent = fixture.environment
            silent["\(fixture.variablePrefix)_HOST"] = "127.0.0.1"
            silent["\(fixture.variablePrefix)_PORT"] = String(listener.port)
            let started = ContinuousClock.now
            let outcome = try await Self.syncer(fixture, environment: silent, timeout: .seconds(1))
                .sync(instance: fixture.instance, trigger: .cli, by: Self.tester).first!.outcome
            #expect(started.duration(to: .now) < .seconds(5))
            guard case .failed(let message) = outcome else { Issue.record("\(outcome)"); return }
            #expect(message.contains("QUERYGATE_SYNC_TIMEOUT"), "\(message)")
            #expect(try await fixture.rows().isEmpty)
        }
    }

    @Test func twoReplicasRacingOneInstanceSyncItOnce() async throws {
        try await Self.withFixture { fixture in
            try await fixture.create("orders")
            let store = fixture.database.store
            let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
            let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
            let syncer = Self.syncer(fixture)
            async let first = store.syncInstance(named: fixture.instance, trigger: .schedule, by: .system, worker: "replica-1", lease: .seconds(60)) { instance in
                enteredContinuation.yield()
                for await _ in release { break }
                return ["\(fixture.prefix)_orders"]
            }
            for await _ in entered { break }
            // A second replica (its own connection) while the first holds the instance.
            let second = try await syncer.sync(instance: fixture.instance, trigger: .cli, by: Self.tester).first!.outcome
            releaseContinuation.yield()
            guard case .alreadyRunning(let running) = second else { Issue.record("\(second)"); return }
            #expect(running.status == "running" && running.trigger == .schedule && running.requestedBy == "system")
            #expect(try await first == .succeeded(SyncCounts(found: 1, added: 1, reactivated: 0, markedMissing: 0, skipped: 0)))
            #expect(try await store.syncHistory(instance: fixture.instance).count == 1)

            // A scheduled run right after skips the instance that was just synced.
            let scheduled = try await syncer.sync(trigger: .schedule, by: .system, skipIfSyncedWithin: .seconds(60))
            #expect(scheduled.map(\.outcome) == [.syncedRecently])
            #expect(try await store.syncHistory(instance: fixture.instance).count == 1)
        }
    }

    @Test func anUnknownInstanceIsRefusedBeforeAnythingRuns() async throws {
        try await Self.withFixture { (fixture: SyncFixture) async throws in
            await #expect(throws: ValidationError(field: "instance", "there is no instance named 'nope' (see `querygate instances list`)")) {
                try await Self.syncer(fixture).sync(instance: try InstanceName("nope"), trigger: .cli, by: Self.tester)
            }
            #expect(try await Rows.count("database_sync_history", in: fixture.database) == 0)
        }
    }
}

/// A TCP listener that accepts connections and never answers: a server that hangs.
final class Blackhole: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
