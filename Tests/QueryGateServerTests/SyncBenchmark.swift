import Foundation
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateServer
import QueryGateTestSupport
import Testing

/// Not a test of timing: a benchmark (`scripts/benchmark sync`) of syncing an instance that holds 1,000 databases,
/// then the same 1,000 again with none changed, then with 10 changed (5 dropped, 5 created), each beside the time
/// `psql -Atc 'select datname from pg_database'` takes on the same server. It prints the numbers and their ratios,
/// and asserts only that each sync found what is there.
@Suite("Sync of 1,000 databases (benchmark)", .enabled(if: ProcessInfo.processInfo.environment["QUERYGATE_BENCHMARK"] == "1"))
struct SyncBenchmark {
    static let count = 1_000

    @Test(.timeLimit(.minutes(10)))
    func syncOfAThousandDatabases() async throws {
        try await TestDatabase.withMigrated { database in
            let fixture = try await SyncFixture.make(database)
            let created = ContinuousClock.now
            try await Self.createDatabases(fixture, (1...Self.count).map { String(format: "db%04d", $0) })
            print("benchmark: created \(Self.count) databases in \(Self.seconds(created.duration(to: .now)))")
            let sync = DatabaseSyncTests.syncer(fixture)

            let psql = try Self.psqlMedian(database.server)
            func measure(_ label: String, expect: [Int]) async throws {
                let started = ContinuousClock.now
                let outcome = try await sync.sync(instance: fixture.instance, trigger: .cli, by: .system).first!.outcome
                let time = Self.milliseconds(started.duration(to: .now))
                #expect(DatabaseSyncTests.changes(outcome) == expect, "\(label): \(outcome)")
                print(String(format: "benchmark: %@: sync %.0f ms, psql %.0f ms, ratio %.1f×", label, time, psql, time / psql))
            }
            try await measure("1,000 new", expect: [Self.count, Self.count, 0, 0])
            try await measure("1,000 unchanged", expect: [Self.count, 0, 0, 0])
            for name in (1...5).map({ String(format: "db%04d", $0) }) { try await fixture.database.server.drop("\(fixture.prefix)_\(name)") }
            try await Self.createDatabases(fixture, (1...5).map { "new\($0)" })
            try await measure("1,000 with 10 changed", expect: [Self.count, 5, 0, 5])
            var steady: [Double] = []
            for _ in 1...5 {
                let started = ContinuousClock.now
                _ = try await sync.sync(instance: fixture.instance, trigger: .cli, by: .system)
                steady.append(Self.milliseconds(started.duration(to: .now)))
            }
            let median = steady.sorted()[steady.count / 2]
            print(String(format: "benchmark: unchanged, median of 5: sync %.0f ms, psql %.0f ms, ratio %.1f×", median, psql, median / psql))
            try await fixture.dropAll()
        }
    }

    /// `CREATE DATABASE … TEMPLATE template0 STRATEGY FILE_COPY`: an empty copy is fastest as files (PostgreSQL 15).
    static func createDatabases(_ fixture: SyncFixture, _ suffixes: [String]) async throws {
        try await fixture.database.server.maintenance { connection, logger in
            for suffix in suffixes {
                // Generated names: the fixture's prefix and the literals above, never input.
                try await connection.query(
                    PostgresQuery(unsafeSQL: "CREATE DATABASE \(fixture.prefix)_\(suffix) TEMPLATE template0 STRATEGY FILE_COPY"), logger: logger)
            }
        }
    }

    /// The median of 5 runs of `psql -Atc 'select datname from pg_database'`, in milliseconds (process start included,
    /// as an operator's shell would see it).
    static func psqlMedian(_ server: TestServer) throws -> Double {
        var times: [Double] = []
        for _ in 1...5 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["psql", "-Atc", "select datname from pg_database", "-d", "postgres"]
            var environment = ProcessInfo.processInfo.environment
            environment["PGHOST"] = server.host
            environment["PGPORT"] = String(server.port)
            environment["PGUSER"] = server.user
            environment["PGPASSWORD"] = server.password
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            let started = ContinuousClock.now
            try process.run()
            process.waitUntilExit()
            times.append(milliseconds(started.duration(to: .now)))
            #expect(process.terminationStatus == 0)
        }
        return times.sorted()[times.count / 2]
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func seconds(_ duration: Duration) -> String { String(format: "%.1f s", milliseconds(duration) / 1000) }
}
