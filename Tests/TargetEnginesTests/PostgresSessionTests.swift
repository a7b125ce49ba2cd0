import Foundation
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import TargetEngines
import Testing

/// One engine, several requests in a row on its cached connection: clean sessions, dead connections, cancellation.
@Suite("Target sessions: reset, checked, cancelled")
struct PostgresSessionTests {
    /// An engine on `target` that runs requests and reads back the first value of their result.
    struct Runner {
        let engine = PostgresEngineTests.engine()
        let settings: PostgresTargetSettings

        init(_ target: TestDatabase) {
            settings = PostgresTargetSettings(host: target.server.host, port: target.server.port, user: target.server.user,
                                              password: target.server.password, database: target.name)
        }

        func execute(_ sql: String, readOnly: Bool) async -> Result<ExecutionResult, ExecutionFailure> {
            let export = FileManager.default.temporaryDirectory.appendingPathComponent("qg-session-\(UUID()).csv")
            defer { try? FileManager.default.removeItem(at: export) }
            return await engine.execute(PostgresEngine.Job(settings: settings, sql: sql, readOnly: readOnly, exportURL: export))
        }

        /// The rows of the last statement of a request that must succeed.
        func rows(_ sql: String, readOnly: Bool = true) async throws -> [[String?]] {
            try #require(try await execute(sql, readOnly: readOnly).get().preview).rows
        }
    }

    /// Everything a session can carry, as one row of text.
    static let sessionState = """
        SELECT pg_backend_pid()::text, current_setting('search_path'), current_setting('TimeZone'), current_user::text,
               (SELECT count(*) FROM pg_prepared_statements)::text, to_regclass('pg_temp.carried') IS NULL,
               (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())::text,
               coalesce(current_setting('querygate.carried', true), ''), current_setting('default_transaction_read_only')
        """

    @Test func twoRequestsInARowOnOneConnectionSeeNoneOfEachOthersState() async throws {
        try await TestDatabase.withTarget { target in
            let runner = Runner(target)
            let before = try await runner.rows(Self.sessionState)[0]
            let first = try await runner.rows("""
                SET search_path = pg_catalog, public; SET TimeZone = 'Asia/Tokyo'; CREATE TEMP TABLE carried (x int);
                PREPARE carried_plan AS SELECT 1; SELECT pg_advisory_lock(4242); SET querygate.carried = 'yes';
                SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY; SET ROLE pg_monitor;
                \(Self.sessionState)
                """, readOnly: false)[0]
            #expect(first[1...] == ["pg_catalog, public", "Asia/Tokyo", "pg_monitor", "1", "f", "1", "yes", "on"])
            let after = try await runner.rows(Self.sessionState)[0]
            #expect(after[0] == first[0], "the second request ran on the same cached connection")
            #expect(after == before)
            #expect(after[1...] == ["\"$user\", public", before[2], target.server.user, "0", "t", "0", "", "off"])
            await runner.engine.shutdown()
        }
    }

    @Test func aConnectionTheServerClosedIsReplacedBeforeTheNextRequest() async throws {
        try await TestDatabase.withTarget { target in
            let runner = Runner(target)
            let pid = try #require(try await runner.rows("SELECT pg_backend_pid()")[0][0])
            // As a restart would: the cached connection's backend goes away while libpq still calls it CONNECTION_OK.
            try await target.server.maintenance { connection, logger in
                try await connection.query("SELECT pg_terminate_backend(\(Int32(pid)!))", logger: logger)
            }
            try await Task.sleep(for: .milliseconds(200))
            let next = try await runner.rows("SELECT pg_backend_pid()")[0][0]
            #expect(next != nil && next != pid)
            await runner.engine.shutdown()
        }
    }

    @Test func aRequestWhoseTextReachedTheServerIsNeverRunTwice() async throws {
        try await TestDatabase.withTarget { target in
            _ = try await target.client.query("CREATE SEQUENCE runs")
            let runner = Runner(target)
            async let result = runner.execute("SELECT nextval('runs'), pg_sleep(5)", readOnly: false)
            try await Self.waitUntilActive("SELECT nextval('runs')%", on: target)
            // The backend that runs the statement, whichever connection the engine took (one it had cached may
            // have been replaced under load).
            _ = try await target.client.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT nextval(''runs'')%' AND pid <> pg_backend_pid()")
            let outcome = await result
            guard case .failure(let failure) = outcome else { Issue.record("the request survived its backend"); return }
            #expect(failure.message.contains("terminat") || failure.message.contains("closed"), "\(failure.message)")
            // nextval is never rolled back: a second run would have made it 2.
            #expect(try await Rows.strings("SELECT last_value::text FROM runs", in: target) == ["1"])
            await runner.engine.shutdown()
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func cancellingTheTaskStopsTheStatementOnTheServer() async throws {
        try await TestDatabase.withTarget { target in
            let runner = Runner(target)
            let started = ContinuousClock.now
            let task = Task { await runner.execute("UPDATE products SET price = 0 WHERE id = 1; SELECT pg_sleep(30)", readOnly: false) }
            try await Self.waitUntilActive("UPDATE products SET price = 0%", on: target)
            let cancelled = ContinuousClock.now
            task.cancel()
            let result = await task.value
            let stopped = started.duration(to: .now)
            #expect(stopped < .seconds(10), "took \(stopped)")
            print("cancellation: execute returned \(cancelled.duration(to: .now)) after the task was cancelled")
            guard case .failure(let failure) = result else { Issue.record("the cancelled request succeeded"); return }
            #expect(failure == .cancelled)
            #expect(try await Self.activeCount("UPDATE products SET price = 0%", on: target) == 0)
            #expect(try await Rows.strings("SELECT price::text FROM products WHERE id = 1", in: target) == ["3.25"])
            await runner.engine.shutdown()
        }
    }

    @Test func aTaskCancelledBeforeItStartsSendsNothing() async throws {
        try await TestDatabase.withTarget { target in
            let runner = Runner(target)
            let task = Task { () async -> Result<ExecutionResult, ExecutionFailure> in
                try? await Task.sleep(for: .seconds(5))
                return await runner.execute("UPDATE products SET price = 0 WHERE id = 1", readOnly: false)
            }
            task.cancel()
            let result = await task.value
            guard case .failure(let failure) = result else { Issue.record("a cancelled request ran"); return }
            #expect(failure == .cancelled)
            let price = try await Rows.strings("SELECT price::text FROM products WHERE id = 1", in: target)
            #expect(price == ["3.25"])
            await runner.engine.shutdown()
        }
    }

    static func activeCount(_ pattern: String, on target: TestDatabase) async throws -> Int {
        try await target.server.maintenance { connection, logger in
            try await connection.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE \(pattern) AND state = 'active'", logger: logger)
                .decode(Int.self).reduce(0, +)
        }
    }

    static func waitUntilActive(_ pattern: String, on target: TestDatabase) async throws {
        for _ in 0..<100 {
            if try await activeCount(pattern, on: target) > 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the statement never showed in pg_stat_activity")
    }
}
