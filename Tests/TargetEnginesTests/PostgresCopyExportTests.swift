import Foundation
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import TargetEngines
import Testing

/// The export of a read-only query through `COPY … TO STDOUT` (`PostgresEngine+Copy`) against the row-at-a-time
/// path it replaces: the same file byte for byte, the same preview, counts and caps, the same failures.
@Suite("Exporting a query through COPY")
struct PostgresCopyExportTests {
    /// Values that CSV must quote or keep apart, in one column and in several.
    static let queries: [String] = [
        "SELECT id, email, phone, created_at FROM customers ORDER BY id",
        #"SELECT 'a,b' AS comma, 'say "hi"' AS quote, E'two\nlines' AS lf, E'cr\rhere' AS cr, E'both\r\n' AS crlf"#,
        "SELECT '' AS empty, NULL AS nothing, ' padded ' AS spaces, '\"' AS lone_quote, ',' AS lone_comma",
        #"SELECT '\.' AS backslash_dot"#,
        #"SELECT '\.' AS a, '\.' AS b"#,
        #"SELECT v FROM (VALUES ('\.'), (NULL), (''), ('x')) AS t(v)"#,
        "SELECT 1 AS \"a\"\"b\", 2 AS \"c,d\", 3 AS \"e\nf\", 4 AS \"\\.\"",
        "SELECT 'ünïcødé ✓' AS text, '\\xdeadbeef'::bytea AS raw, ARRAY['a', NULL, 'c d'] AS tags, '{\"k\": [1, \"x,y\"]}'::jsonb AS doc",
        "SELECT 1.5::float8 AS f, 0.1::float4 AS g, 'NaN'::numeric AS n, interval '1 day 2 hours' AS i, true AS b",
        "SELECT repeat('x', 100000) AS long_text, repeat('\"', 5000) AS many_quotes",
        "SELECT * FROM customers WHERE false",
        "VALUES (1, 'one'), (2, NULL)",
        "TABLE products",
        "WITH recent AS (SELECT id FROM customers ORDER BY id DESC LIMIT 3) SELECT * FROM recent",
        "/* a leading comment */ SELECT 1 AS x -- and a trailing one",
        "SELECT 1 AS x;",
        "  SELECT 2 AS y  ;  ",
        // Parse-time notices are told once, as unwrapped.
        "SELECT 1 AS \(String(repeating: "a", count: 70))",
    ]

    static func run(_ sql: String, throughCopy: Bool, limits: ExecutionLimits = ExecutionLimits(), on target: TestDatabase) async throws
        -> (Result<ExecutionResult, ExecutionFailure>, Data)
    {
        let export = FileManager.default.temporaryDirectory.appendingPathComponent("qg-copy-\(UUID()).csv")
        defer { try? FileManager.default.removeItem(at: export) }
        let engine = PostgresEngineTests.engine(limits)
        let settings = PostgresTargetSettings(host: target.server.host, port: target.server.port, user: target.server.user,
                                              password: target.server.password, database: target.name)
        var job = PostgresEngine.Job(settings: settings, sql: sql, readOnly: true, exportURL: export)
        job.exportThroughCopy = throughCopy
        let result = await engine.execute(job)
        await engine.shutdown()
        return (result, (try? Data(contentsOf: export)) ?? Data())
    }

    /// The result without its time, which differs from run to run.
    static func comparable(_ result: Result<ExecutionResult, ExecutionFailure>) -> String {
        switch result {
        case .success(let success):
            "\(success.statements) \(String(describing: success.preview)) \(success.notices) \(String(describing: success.exportBytes))"
        case .failure(let failure):
            "\(failure.message) \(failure.sqlState ?? "") \(failure.position.map(String.init) ?? "-") \(failure.detail ?? "") \(failure.hint ?? "")"
        }
    }

    @Test("The same file, preview and counts as row at a time", arguments: queries)
    func sameAsRowAtATime(_ sql: String) async throws {
        try await TestDatabase.withTarget { target in
            let (copied, copiedFile) = try await Self.run(sql, throughCopy: true, on: target)
            let (read, readFile) = try await Self.run(sql, throughCopy: false, on: target)
            #expect(try copied.get().preview != nil)
            #expect(Self.comparable(copied) == Self.comparable(read))
            #expect(copiedFile == readFile, "\(String(decoding: copiedFile.prefix(300), as: UTF8.self)) ≠ \(String(decoding: readFile.prefix(300), as: UTF8.self))")
        }
    }

    /// What psql's `\copy … csv header` writes, with its line ends made CRLF, is what QueryGate exports.
    @Test func theFileIsPsqlsWithCRLFLineEnds() async throws {
        try await TestDatabase.withTarget { target in
            let sql = #"SELECT v, length(v) AS n FROM (VALUES ('\.'), (NULL), (''), (E'a\nb'), ('"q",')) AS t(v)"#
            let (_, file) = try await Self.run(sql, throughCopy: true, on: target)
            #expect(String(decoding: file, as: UTF8.self) == "v,n\r\n\\.,2\r\n,\r\n\"\",0\r\n\"a\nb\",3\r\n\"\"\"q\"\",\",4\r\n")
        }
    }

    @Test func theCopyPathIsTheOneTaken() async throws {
        try await TestDatabase.withTarget { target in
            let (copied, _) = try await Self.run("SELECT current_query() AS q", throughCopy: true, on: target)
            #expect(try copied.get().preview?.rows.first?.first == "COPY (\nSELECT current_query() AS q\n) TO STDOUT WITH (FORMAT csv)")
            let (scripted, _) = try await Self.run("SELECT 1; SELECT current_query() AS q", throughCopy: true, on: target)
            #expect(try scripted.get().preview?.rows.first?.first == "SELECT current_query() AS q")
        }
    }

    @Test func capsOnRowsAndBytesKeepWhatRowAtATimeKeeps() async throws {
        try await TestDatabase.withTarget { target in
            for (maxRows, maxBytes) in [(10, Int.max), (1000, 2000), (1000, 40)] {
                var limits = ExecutionLimits()
                limits.maxRows = maxRows
                limits.maxResultBytes = maxBytes
                limits.previewRows = 3
                let sql = #"SELECT id, email, CASE WHEN id % 3 = 0 THEN 'with "quotes", and commas' END AS note FROM customers ORDER BY id"#
                let (copied, copiedFile) = try await Self.run(sql, throughCopy: true, limits: limits, on: target)
                let (read, readFile) = try await Self.run(sql, throughCopy: false, limits: limits, on: target)
                let preview = try #require(try copied.get().preview)
                #expect(preview.totalRows == 200)
                #expect(preview.rowsKept < 200)
                #expect(Self.comparable(copied) == Self.comparable(read))
                #expect(copiedFile == readFile)
            }
        }
    }

    @Test("Failures say what row at a time says", arguments: [
        "SELECT idd FROM customers",
        "SELECT id, 1 / (id - 100) FROM customers ORDER BY id",
        "SELECT 1) TO '/tmp/querygate-copy-escape' --",
        "SELECT * FROM customers WHERE id = $1",
        "SELECT corpus_missing()",
    ])
    func failuresMatch(_ sql: String) async throws {
        try await TestDatabase.withTarget { target in
            let (copied, _) = try await Self.run(sql, throughCopy: true, on: target)
            let (read, _) = try await Self.run(sql, throughCopy: false, on: target)
            guard case .failure = copied else { Issue.record("\(sql) did not fail"); return }
            #expect(Self.comparable(copied) == Self.comparable(read))
        }
    }

    /// The target going away in the middle of a COPY: the run fails, promptly, and says why; it is never a success
    /// with the rows that came before.
    @Test(.timeLimit(.minutes(10)))
    func aTargetThatGoesAwayMidCopyFailsTheRun() async throws {
        try await TestDatabase.withTarget { target in
            let running = Task { try await Self.run("SELECT g, pg_sleep(0.01) FROM generate_series(1, 3000) AS g", throughCopy: true, on: target) }
            var terminated = false
            for _ in 0..<200 where !terminated {
                try await Task.sleep(for: .milliseconds(50))
                terminated = try await target.client.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY (%pg_sleep(0.01)%' AND pid <> pg_backend_pid()"
                ).decode(Bool.self).reduce(false) { $0 || $1 }
            }
            #expect(terminated, "the COPY never showed in pg_stat_activity")
            let started = ContinuousClock.now
            let (result, _) = try await running.value
            guard case .failure(let failure) = result else { Issue.record("a run whose server went away succeeded"); return }
            #expect(!failure.message.isEmpty)
            #expect(started.duration(to: .now) < .seconds(10))
        }
    }

    /// A statement that returns no rows is not wrapped: it runs, read-only, as it would on its own.
    @Test func aQueryThatReturnsNoRowsRunsAsItself() async throws {
        try await TestDatabase.withTarget { target in
            let (copied, _) = try await Self.run("SELECT * INTO stolen FROM customers", throughCopy: true, on: target)
            let (read, _) = try await Self.run("SELECT * INTO stolen FROM customers", throughCopy: false, on: target)
            guard case .failure(let failure) = copied else { Issue.record("SELECT INTO ran read-only"); return }
            #expect(failure.sqlState == "25006")
            #expect(Self.comparable(copied) == Self.comparable(read))
        }
    }

    /// Text that closes COPY's parenthesis to write the rows to a server file fails, and writes no file, even for
    /// a superuser (the test server's user is one).
    @Test func textCannotSendTheRowsToAFile() async throws {
        try await TestDatabase.withTarget { target in
            let path = "/tmp/querygate-copy-escape-\(UUID().uuidString)"
            for sql in ["SELECT 1) TO '\(path)' --", "SELECT 1\n) TO '\(path)'; SELECT (1", "SELECT 1) TO '\(path)' WITH (FORMAT csv) --\n"] {
                let (result, _) = try await Self.run(sql, throughCopy: true, on: target)
                guard case .failure(let failure) = result else { Issue.record("\(sql) ran"); continue }
                #expect(failure.sqlState == "42601", "\(sql): \(failure.message)")
            }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }
}
