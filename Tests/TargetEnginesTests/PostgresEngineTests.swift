import Foundation
import Logging
import NIOPosix
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import TargetEngines
import Testing

/// The libpq engine against a real PostgreSQL, on a fresh copy of Migrations/target_db_schema.sql per test.
@Suite("Running requests on target PostgreSQL")
struct PostgresEngineTests {
    static let threadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    static func engine(_ limits: ExecutionLimits = ExecutionLimits()) -> PostgresEngine {
        var logger = Logger(label: "engine-tests")
        logger.logLevel = .critical
        return PostgresEngine(threadPool: threadPool, limits: limits, logger: logger)
    }

    static func run(_ sql: String, readOnly: Bool = true, limits: ExecutionLimits = ExecutionLimits(), on target: TestDatabase)
        async throws -> (Result<ExecutionResult, ExecutionFailure>, String)
    {
        let export = FileManager.default.temporaryDirectory.appendingPathComponent("qg-export-\(UUID()).csv")
        defer { try? FileManager.default.removeItem(at: export) }
        let engine = engine(limits)
        let settings = try PostgresTargetSettings.resolve(prefix: "PG_TEST", database: target.name, environment: [
            "PG_TEST_HOST": target.server.host, "PG_TEST_PORT": String(target.server.port), "PG_TEST_USER": target.server.user,
            "PG_TEST_PASSWORD": target.server.password,
        ])
        let result = await engine.execute(PostgresEngine.Job(settings: settings, sql: sql, readOnly: readOnly, exportURL: export))
        await engine.shutdown()
        return (result, (try? String(contentsOf: export, encoding: .utf8)) ?? "")
    }

    @Test func valuesRenderAsPsqlRendersThem() async throws {
        try await TestDatabase.withTarget { target in
            let (result, csv) = try await Self.run(
                """
                SELECT id, phone, created_at, price_check, '\\xdeadbeef'::bytea AS raw, ARRAY['a', NULL, 'c d'] AS tags,
                       '{"k": [1, 2]}'::jsonb AS doc
                FROM (SELECT c.id, c.phone, c.created_at, 1234567890.123456789::numeric AS price_check
                      FROM customers c WHERE c.id IN (4, 5) ORDER BY c.id) s
                """, on: target)
            let preview = try #require(try result.get().preview)
            #expect(preview.columns.map(\.name) == ["id", "phone", "created_at", "price_check", "raw", "tags", "doc"])
            #expect(preview.columns.map(\.type) == ["bigint", "text", "timestamptz", "numeric", "bytea", "text[]", "jsonb"])
            #expect(preview.rows[0] == ["4", nil, "2024-01-05 00:00:00+00", "1234567890.123456789", "\\xdeadbeef", "{a,NULL,\"c d\"}", #"{"k": [1, 2]}"#])
            #expect(preview.rows[1][1] == "")
            #expect(try result.get().statements == [ExecutionResult.Statement(command: "SELECT 2", rowsAffected: nil, rowsReturned: 2)])
            #expect(csv.hasPrefix("id,phone,created_at,price_check,raw,tags,doc\r\n4,,2024-01-05 00:00:00+00,1234567890.123456789,\\xdeadbeef,\"{a,NULL,\"\"c d\"\"}\",\"{\"\"k\"\": [1, 2]}\"\r\n5,\"\","))
        }
    }

    @Test func aWriteThatSlippedPastTheAnalysisIsRefusedByTheReadOnlyTransaction() async throws {
        try await TestDatabase.withTarget { target in
            let (result, _) = try await Self.run("WITH x AS (SELECT 1) UPDATE customers SET phone = 'x' WHERE id = 1", readOnly: true, on: target)
            guard case .failure(let failure) = result else { Issue.record("a write ran read-only"); return }
            #expect(failure.sqlState == "25006")
            #expect(failure.message == "cannot execute UPDATE in a read-only transaction")
            #expect(try await Rows.strings("SELECT coalesce(phone, 'NULL') FROM customers WHERE id = 1", in: target) == [""])
        }
    }

    @Test("Read-only mode cannot be left after QueryGate's snapshot", arguments: [
        "SET TRANSACTION READ WRITE", "SET transaction_read_only = off", "SELECT set_config('transaction_read_only', 'off', true)",
    ])
    func readOnlyModeCannotBeLeft(sql: String) async throws {
        try await TestDatabase.withTarget { target in
            let (result, _) = try await Self.run(sql + "; UPDATE customers SET phone = 'x' WHERE id = 1", readOnly: true, on: target)
            guard case .failure(let failure) = result else { Issue.record("\(sql) left read-only mode"); return }
            #expect(failure.sqlState == "25001")
            #expect(failure.message == "transaction read-write mode must be set before any query")
        }
    }

    @Test func resettingReadOnlyModeIsRolledBackAndFailsTheRequest() async throws {
        try await TestDatabase.withTarget { target in
            let (result, _) = try await Self.run("RESET transaction_read_only; UPDATE customers SET phone = 'x' WHERE id = 1", readOnly: true, on: target)
            guard case .failure(let failure) = result else { Issue.record("a reset of read-only mode succeeded"); return }
            #expect(failure.message.hasPrefix("the request switched its transaction out of read-only mode"))
            #expect(try await Rows.strings("SELECT coalesce(phone, 'NULL') FROM customers WHERE id = 1", in: target) == [""])
        }
    }

    @Test func aReadOnlyScriptsErrorPositionCountsFromTheStartOfTheScript() async throws {
        try await TestDatabase.withTarget { target in
            let (result, _) = try await Self.run("SELECT 1;\nSELECT idd FROM customers", on: target)
            guard case .failure(let failure) = result else { Issue.record("an unknown column was found"); return }
            #expect(failure.position == 18)
        }
    }

    @Test func aScriptThatFailsHalfwayLeavesTheTargetUnchanged() async throws {
        try await TestDatabase.withTarget { target in
            let (result, _) = try await Self.run(
                "UPDATE products SET price = 0 WHERE id = 1; DELETE FROM order_items WHERE order_id = 1; SELECT 1 / 0; UPDATE products SET price = 0",
                readOnly: false, on: target)
            guard case .failure(let failure) = result else { Issue.record("the division by zero succeeded"); return }
            #expect(failure.sqlState == "22012")
            #expect(try await Rows.strings("SELECT price::text FROM products WHERE id = 1", in: target) == ["3.25"])
            #expect(try await Rows.count("order_items", in: target) == 1966)
        }
    }

    @Test func aScriptThatSucceedsReportsEachStatement() async throws {
        try await TestDatabase.withTarget { target in
            let (result, _) = try await Self.run(
                "UPDATE products SET in_stock = false WHERE id <= 3; CREATE TEMP TABLE t (x int); SELECT count(*) FROM products WHERE NOT in_stock;",
                readOnly: false, on: target)
            let statements = try result.get().statements
            #expect(statements.map(\.command) == ["UPDATE 3", "CREATE TABLE", "SELECT 1"])
            #expect(statements.map(\.rowsAffected) == [3, nil, nil])
            #expect(try result.get().preview?.rows == [["8"]])
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func aQueryPastItsTimeoutIsCancelledOnTheServer() async throws {
        try await TestDatabase.withTarget { target in
            var limits = ExecutionLimits()
            limits.statementTimeout = .milliseconds(500)
            let started = ContinuousClock.now
            let (result, _) = try await Self.run("SELECT pg_sleep(30)", limits: limits, on: target)
            #expect(started.duration(to: .now) < .seconds(10))
            guard case .failure(let failure) = result else { Issue.record("pg_sleep(30) finished"); return }
            #expect(failure.sqlState == "57014")
            #expect(failure.message == "QueryGate's time limit ended it: it ran longer than QUERYGATE_STATEMENT_TIMEOUT (500 ms), "
                + "so the statement was cancelled and the transaction rolled back")
            #expect(failure.detail == "the database said: canceling statement due to statement timeout")
            let sleeping = try await target.server.maintenance { connection, logger in
                try await connection.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'", logger: logger)
                    .decode(Int.self).reduce(0, +)
            }
            #expect(sleeping == 0)
        }
    }

    @Test func errorsCarryTheirSQLStateAndPosition() async throws {
        try await TestDatabase.withTarget { target in
            let (result, _) = try await Self.run("SELECT idd FROM customers", on: target)
            guard case .failure(let failure) = result else { Issue.record("an unknown column was found"); return }
            #expect(failure.sqlState == "42703")
            #expect(failure.message == "column \"idd\" does not exist")
            #expect(failure.position == 8)
        }
    }

    @Test func capsKeepTheFirstRowsAndCountTheRest() async throws {
        try await TestDatabase.withTarget { target in
            var limits = ExecutionLimits()
            limits.maxRows = 10
            limits.previewRows = 3
            let (result, csv) = try await Self.run("SELECT id, email FROM customers ORDER BY id", limits: limits, on: target)
            let preview = try #require(try result.get().preview)
            #expect(preview.totalRows == 200)
            #expect(preview.rowsKept == 10)
            #expect(preview.rows.count == 3)
            #expect(csv.split(separator: "\r\n").count == 11)
        }
    }

    @Test func noticesAreKept() async throws {
        try await TestDatabase.withTarget { target in
            let (result, _) = try await Self.run("DO $$ BEGIN RAISE NOTICE 'checked % rows', 42; END $$", readOnly: false, on: target)
            #expect(try result.get().notices == ["NOTICE:  checked 42 rows"])
        }
    }

    @Test func missingCredentialsNameTheVariable() {
        #expect(throws: ExecutionFailure(message: "PG_INSTANCE_9_HOST is not set where QueryGate runs, so the target cannot be reached")) {
            try PostgresTargetSettings.resolve(prefix: "PG_INSTANCE_9", database: "x", environment: ["PG_INSTANCE_9_USER": "u"])
        }
        #expect(throws: ExecutionFailure(message: "PG_INSTANCE_9_PORT is not a port number")) {
            try PostgresTargetSettings.resolve(prefix: "PG_INSTANCE_9", database: "x",
                                               environment: ["PG_INSTANCE_9_HOST": "h", "PG_INSTANCE_9_USER": "u", "PG_INSTANCE_9_PORT": "x"])
        }
    }

    @Test func aWrongPasswordIsAClearFailureAndNeverShowsThePassword() async throws {
        try await TestDatabase.withTarget { target in
            let settings = PostgresTargetSettings(host: target.server.host, port: target.server.port, user: target.server.user,
                                                  password: "wrong-password-123", database: target.name)
            let result = await Self.engine().execute(PostgresEngine.Job(settings: settings, sql: "SELECT 1", readOnly: true,
                                                                        exportURL: URL(fileURLWithPath: "/tmp/unused.csv")))
            guard case .failure(let failure) = result else { Issue.record("a wrong password connected"); return }
            #expect(failure.message.contains("password authentication failed"))
            #expect(!failure.message.contains("wrong-password-123"))
        }
    }
}
