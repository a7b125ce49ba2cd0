import ArgumentParser
import QueryGateCore
import QueryGateTestSupport
import Testing

/// `querygate sync` and `querygate sync history` against the test cluster.
@Suite("querygate sync")
struct SyncCommandTests {
    @Test func syncPrintsEachInstanceAndTheHistoryListsTheRuns() async throws {
        try await TestDatabase.withMigrated { database in
            let fixture = try await SyncFixture.make(database)
            try await fixture.create("orders")
            let querygate = CommandRunner(database: database, extraEnvironment: fixture.environment)
            let printed = try await querygate.run(["sync", "--instance", "pg-sync"])
            #expect(printed.first?.hasPrefix("INSTANCE  RESULT     FOUND  ADDED  REACTIVATED  MARKED MISSING") == true, "\(printed)")
            #expect(printed.last?.hasPrefix("pg-sync   succeeded  1      1      0            0") == true, "\(printed)")
            #expect(try await querygate.run(["databases", "list"]).contains { $0.hasPrefix("pg-sync/\(fixture.prefix)_orders") && $0.contains("synced") })

            let history = try await querygate.run(["sync", "history", "--instance", "pg-sync", "--limit", "5"])
            #expect(history.count == 2 && history[1].contains("succeeded  cli      cli:tester"), "\(history)")
            let instances = try await querygate.run(["instances", "list"])
            #expect(instances.last?.contains("succeeded    1/1/0/0") == true, "\(instances)")
            try await fixture.dropAll()
        }
    }

    @Test func aFailedSyncExitsNonZeroAndUnknownInstancesAreRefused() async throws {
        try await TestDatabase.withMigrated { (database: TestDatabase) async throws in
            let fixture = try await SyncFixture.make(database)
            let querygate = CommandRunner(database: database, extraEnvironment: [:])
            await #expect(throws: ExitCode(69)) { try await querygate.run(["sync", "--instance", "pg-sync"]) }
            #expect(querygate.output.lines.last?.contains("PG_INSTANCE_SYNC_HOST is not set") == true, "\(querygate.output.lines)")

            await #expect(throws: ValidationError(field: "instance", "there is no instance named 'nope' (see `querygate instances list`)")) {
                try await querygate.run(["sync", "--instance", "nope"])
            }
            await #expect(throws: ValidationError(field: "instance", "there is no instance named 'nope' (see `querygate instances list`)")) {
                try await querygate.run(["sync", "history", "--instance", "nope"])
            }
            #expect(try await Rows.count("database_sync_history", in: database) == 1)
            _ = fixture
        }
    }
}
