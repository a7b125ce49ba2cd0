import QueryGateCore
import Testing

/// Attempts to get past the gate, one line each: what the approver is shown, and what the database does when the
/// request runs read-only.
struct SQLAttempt: Sendable, CustomTestStringConvertible {
    enum Database: Sendable {
        /// Run read-only (as the executor would if it is classified so, or as if the analysis had missed it), the
        /// database refuses it and nothing changes.
        case refuses
        /// Run read-only, it succeeds (it only reads) and nothing changes.
        case allows
        /// Reaches outside any transaction (server files, programs): it must never be classified read-only, and
        /// is not run.
        case outOfReach
    }

    let name: String
    let sql: String
    let shown: RiskAssessment.Level
    let database: Database
    var testDescription: String { name }
}

private func attempt(_ name: String, _ shown: RiskAssessment.Level, _ database: SQLAttempt.Database, _ sql: String) -> SQLAttempt {
    SQLAttempt(name: name, sql: sql, shown: shown, database: database)
}

/// Functions the tests create on the target before each attempt: what a hostile requester could have prepared
/// with an earlier, approved request.
let corpusSetUp = [
    "CREATE TABLE corpus_log (note text)",
    "CREATE SEQUENCE corpus_seq",
    "CREATE FUNCTION corpus_write() RETURNS int LANGUAGE plpgsql AS $$ BEGIN INSERT INTO corpus_log VALUES ('written'); RETURN 1; END $$",
    "CREATE FUNCTION corpus_immutable_write() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN INSERT INTO corpus_log VALUES ('immutable'); RETURN 1; END $$",
    "CREATE FUNCTION corpus_reset_write() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RESET transaction_read_only; DELETE FROM order_items; RETURN 1; END $$",
    "CREATE FUNCTION corpus_set_config_write() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('transaction_read_only', 'off', true); DELETE FROM order_items; RETURN 1; END $$",
    "CREATE FUNCTION corpus_dynamic(statement text) RETURNS int LANGUAGE plpgsql AS $$ BEGIN EXECUTE statement; RETURN 1; END $$",
    "CREATE VIEW corpus_view AS SELECT id, corpus_write() AS w FROM customers",
]

enum HostileCorpus {
    static let sql: [SQLAttempt] = [
        // Writes disguised as reads: the analysis cannot see inside functions; the read-only transaction refuses.
        attempt("volatile function that writes", .readOnly, .refuses, "SELECT corpus_write()"),
        attempt("immutable function that writes", .readOnly, .refuses, "SELECT corpus_immutable_write()"),
        attempt("view over a writing function", .readOnly, .refuses, "SELECT * FROM corpus_view"),
        attempt("function that runs its argument", .readOnly, .refuses, "SELECT corpus_dynamic('DELETE FROM order_items')"),
        attempt("function that resets read-only mode", .readOnly, .refuses, "SELECT corpus_reset_write()"),
        attempt("function that calls set_config", .readOnly, .refuses, "SELECT corpus_set_config_write()"),
        attempt("write in a CTE", .write, .refuses, "WITH gone AS (DELETE FROM order_items RETURNING *) SELECT count(*) FROM gone"),
        attempt("write in a nested CTE", .write, .refuses, "WITH a AS (SELECT 1), b AS (UPDATE products SET price = 0 WHERE id = 1 RETURNING id) SELECT * FROM a, b"),
        attempt("EXPLAIN ANALYZE of a delete", .dangerous, .refuses, "EXPLAIN ANALYZE DELETE FROM order_items"),
        attempt("EXPLAIN (ANALYZE) of an update", .write, .refuses, "EXPLAIN (ANALYZE, BUFFERS) UPDATE products SET price = 0 WHERE id = 1"),
        attempt("SELECT INTO", .ddl, .refuses, "SELECT * INTO stolen FROM customers"),
        attempt("quoted keyword as identifier", .write, .refuses, "WITH \"x\" AS (INSERT INTO corpus_log VALUES ('q') RETURNING 1) SELECT * FROM \"x\""),
        attempt("comment between tokens", .write, .refuses, "DELETE/**/FROM/* x */order_items WHERE/**/true"),
        attempt("nested comment hiding nothing", .write, .refuses, "/* /* */ SELECT 1 */ UPDATE products SET price = 0 WHERE id = 1"),
        attempt("dollar-quoted body in DO", .write, .refuses, "DO $x$ BEGIN DELETE FROM order_items; END $x$"),
        attempt("fake dollar quote after a name", .dangerous, .refuses, "SELECT 1 AS x$$; COMMIT; DELETE FROM order_items; SELECT 1 AS y$$"),
        attempt("fake dollar quote after a non-ASCII name", .write, .refuses, "SELECT 1 AS é$a$; DELETE FROM order_items WHERE true; SELECT 1 AS é$a$"),
        attempt("E-string escape hiding a semicolon", .write, .refuses, "SELECT E'it\\'s'; DELETE FROM order_items WHERE true; SELECT 'x'"),
        attempt("lower-case and odd spacing", .dangerous, .refuses, "dElEtE\n\tfrom order_items"),
        attempt("nextval", .write, .refuses, "SELECT nextval('corpus_seq')"),
        attempt("setval", .write, .refuses, "SELECT setval('corpus_seq', 99)"),
        attempt("locking read", .write, .refuses, "SELECT * FROM customers FOR UPDATE"),
        attempt("dynamic SQL in query_to_xml", .dangerous, .refuses, "SELECT query_to_xml('DELETE FROM order_items RETURNING 1', true, true, '')"),
        // PostgreSQL 15 takes the lock even in a read-only transaction: it blocks others until the rollback, changes nothing.
        attempt("unknown statement (LOCK)", .write, .allows, "LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"),
        attempt("CALL a procedure", .write, .refuses, "CALL nonexistent_procedure()"),
        attempt("MERGE", .write, .refuses, "MERGE INTO products p USING (SELECT 1 AS id) s ON p.id = s.id WHEN MATCHED THEN UPDATE SET price = 0"),
        attempt("sequence via pg_catalog", .write, .refuses, "SELECT pg_catalog.nextval('corpus_seq')"),

        // Leaving read-only mode.
        attempt("SET TRANSACTION READ WRITE first", .dangerous, .refuses, "SET TRANSACTION READ WRITE; DELETE FROM order_items WHERE true"),
        attempt("SET TRANSACTION ISOLATION then write", .dangerous, .refuses, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE READ WRITE; DELETE FROM order_items WHERE true"),
        attempt("SET SESSION CHARACTERISTICS", .dangerous, .refuses, "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; DELETE FROM order_items WHERE true"),
        attempt("SET transaction_read_only = off", .dangerous, .refuses, "SET transaction_read_only = off; DELETE FROM order_items WHERE true"),
        attempt("SET LOCAL transaction_read_only", .dangerous, .refuses, "SET LOCAL transaction_read_only TO false; DELETE FROM order_items WHERE true"),
        attempt("quoted GUC name", .dangerous, .refuses, "SET \"transaction_read_only\" = off; DELETE FROM order_items WHERE true"),
        attempt("default_transaction_read_only", .dangerous, .refuses, "SET default_transaction_read_only = off; DELETE FROM order_items WHERE true"),
        attempt("set_config read-only off", .dangerous, .refuses, "SELECT set_config('transaction_read_only', 'off', false); DELETE FROM order_items WHERE true"),
        attempt("set_config schema-qualified", .dangerous, .refuses, "SELECT pg_catalog.set_config('transaction_read_only', 'off', true)"),
        attempt("set_config quoted", .dangerous, .refuses, "SELECT \"set_config\"('transaction_read_only', 'off', true)"),
        attempt("set_config Unicode-escaped", .dangerous, .refuses, "SELECT U&\"\\0073et_config\"('transaction_read_only', 'off', true)"),
        attempt("set_config with UESCAPE", .dangerous, .refuses, "SELECT U&\"!0073et_config\" UESCAPE '!' ('transaction_read_only', 'off', true)"),
        attempt("set_config with comments", .dangerous, .refuses, "SELECT pg_catalog/**/./**/set_config('transaction_read_only', 'off', true)"),
        attempt("RESET transaction_read_only", .dangerous, .refuses, "RESET transaction_read_only; DELETE FROM order_items WHERE true"),
        attempt("RESET ALL", .dangerous, .refuses, "RESET ALL; DELETE FROM order_items WHERE true"),
        attempt("COMMIT then write", .dangerous, .refuses, "COMMIT; DELETE FROM order_items WHERE true"),
        attempt("END then write", .dangerous, .refuses, "END; SET transaction_read_only = off; DELETE FROM order_items WHERE true"),
        attempt("ROLLBACK then write", .dangerous, .refuses, "ROLLBACK; DELETE FROM order_items WHERE true"),
        attempt("ABORT then BEGIN", .dangerous, .refuses, "ABORT; BEGIN READ WRITE; DELETE FROM order_items WHERE true; COMMIT"),
        attempt("BEGIN inside", .dangerous, .refuses, "BEGIN; DELETE FROM order_items WHERE true; COMMIT"),
        attempt("SAVEPOINT and release", .dangerous, .refuses, "SAVEPOINT s; DELETE FROM order_items WHERE true; RELEASE s"),
        attempt("PREPARE TRANSACTION", .dangerous, .refuses, "PREPARE TRANSACTION 'corpus'"),
        attempt("DISCARD ALL", .dangerous, .refuses, "DISCARD ALL"),
        attempt("SET ROLE then write", .dangerous, .refuses, "SET ROLE pg_monitor; DELETE FROM order_items WHERE true"),
        attempt("SET SESSION AUTHORIZATION", .dangerous, .refuses, "SET SESSION AUTHORIZATION DEFAULT; DELETE FROM order_items WHERE true"),
        attempt("statement_timeout lifted", .dangerous, .allows, "SET statement_timeout = 0; SELECT 1"),
        attempt("standard_conforming_strings off", .dangerous, .refuses, "SET standard_conforming_strings = off; SELECT 'a\\''; DELETE FROM order_items WHERE true; --'"),
        attempt("plain SET is shown but harmless", .readOnly, .allows, "SET search_path = pg_catalog; SELECT count(*) FROM public.customers"),

        // Statements hidden in comments or strings never run.
        attempt("delete in a line comment", .readOnly, .allows, "SELECT 1 -- ; DELETE FROM order_items"),
        attempt("delete in a block comment", .readOnly, .allows, "SELECT 1 /* ; DELETE FROM order_items; */"),
        attempt("delete in a string", .readOnly, .allows, "SELECT '; DELETE FROM order_items; --'"),
        attempt("delete in a dollar quote", .readOnly, .allows, "SELECT $q$; DELETE FROM order_items; $q$"),
        attempt("delete in a quoted identifier", .readOnly, .allows, "SELECT 1 AS \"; DELETE FROM order_items; \""),
        attempt("unterminated string swallowing a delete", .readOnly, .refuses, "SELECT 'open; DELETE FROM order_items"),

        // A read-only request that is one query is exported through `COPY (\n<text>\n) TO STDOUT`: text that tries to
        // close that parenthesis and send the rows elsewhere. The server prepares the text on its own first.
        attempt("closing COPY's parenthesis towards a file", .readOnly, .refuses, "SELECT 1) TO '/tmp/querygate-corpus-copy' --"),
        attempt("closing COPY's parenthesis towards a program", .readOnly, .refuses, "SELECT 1) TO PROGRAM 'touch /tmp/querygate-corpus-copy' --"),
        attempt("closing COPY's parenthesis in a comment", .readOnly, .allows, "SELECT 1 AS x --) TO '/tmp/querygate-corpus-copy'"),
        attempt("closing COPY's parenthesis in a string", .readOnly, .allows, "SELECT ') TO ''/tmp/querygate-corpus-copy'' --' AS x"),
        attempt("an open block comment after the query", .readOnly, .refuses, "SELECT 1 /* ) TO '/tmp/querygate-corpus-copy' --"),

        // Server files and programs: no transaction undoes them, so they must never look read-only.
        attempt("COPY TO a file", .dangerous, .outOfReach, "COPY customers TO '/tmp/querygate-corpus-copy'"),
        attempt("COPY query TO a file", .dangerous, .outOfReach, "COPY (SELECT stdout FROM (SELECT 1 AS stdout) s) TO '/tmp/querygate-corpus-copy'"),
        attempt("COPY FROM a file", .dangerous, .outOfReach, "COPY corpus_log FROM '/etc/hostname'"),
        attempt("COPY FROM PROGRAM", .dangerous, .outOfReach, "COPY corpus_log FROM PROGRAM 'id'"),
        attempt("COPY TO PROGRAM", .dangerous, .outOfReach, "copy customers to program 'cat > /dev/null'"),
        attempt("pg_read_file", .dangerous, .outOfReach, "SELECT pg_read_file('/etc/passwd')"),
        attempt("pg_read_file quoted", .dangerous, .outOfReach, "SELECT \"pg_read_file\"('/etc/passwd')"),
        attempt("pg_read_binary_file", .dangerous, .outOfReach, "SELECT pg_catalog.pg_read_binary_file('/etc/passwd')"),
        attempt("pg_ls_dir", .dangerous, .outOfReach, "SELECT * FROM pg_ls_dir('/')"),
        attempt("pg_stat_file", .dangerous, .outOfReach, "SELECT pg_stat_file('/etc/passwd')"),
        attempt("lo_import", .dangerous, .outOfReach, "SELECT lo_import('/etc/passwd')"),
        attempt("lo_export", .dangerous, .outOfReach, "SELECT lo_export(1, '/tmp/querygate-corpus-lo')"),
        attempt("dblink_exec", .dangerous, .outOfReach, "SELECT dblink_exec('dbname=postgres', 'DROP TABLE x')"),
        attempt("adminpack pg_file_write", .dangerous, .outOfReach, "SELECT pg_file_write('/tmp/x', 'data', false)"),
        attempt("COPY TO a file in a function's text", .dangerous, .outOfReach, "SELECT query_to_xml('COPY customers TO ''/tmp/querygate-corpus-copy''', true, true, '')"),
        attempt("LOAD a library", .dangerous, .outOfReach, "LOAD 'plpgsql'"),
        attempt("terminate sessions", .dangerous, .outOfReach, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"),
    ]
}

/// A request that leaves something in its session, and what the next request on the same connection sees.
struct SessionAttempt: Sendable, CustomTestStringConvertible {
    let name: String
    /// Run as an approved write, committed.
    let setUp: String
    /// A scalar expression the next (read-only) request evaluates.
    let probe: String
    /// What it is on a clean session.
    let clean: String?
    var testDescription: String { name }
}

extension HostileCorpus {
    static let session: [SessionAttempt] = [
        SessionAttempt(name: "search_path", setUp: "SET search_path = pg_catalog", probe: "current_setting('search_path')", clean: "\"$user\", public"),
        SessionAttempt(name: "TimeZone", setUp: "SET TimeZone = 'Pacific/Chatham'", probe: "current_setting('TimeZone') <> 'Pacific/Chatham'", clean: "true"),
        SessionAttempt(name: "role", setUp: "SET ROLE pg_monitor", probe: "current_user <> 'pg_monitor'", clean: "true"),
        SessionAttempt(name: "session authorization", setUp: "SET SESSION AUTHORIZATION pg_monitor",
                       probe: "session_user <> 'pg_monitor'", clean: "true"),
        SessionAttempt(name: "temporary table", setUp: "CREATE TEMP TABLE carried AS SELECT 1 AS x", probe: "to_regclass('pg_temp.carried') IS NULL", clean: "true"),
        SessionAttempt(name: "prepared statement", setUp: "PREPARE carried AS SELECT 1", probe: "(SELECT count(*) FROM pg_prepared_statements)", clean: "0"),
        SessionAttempt(name: "custom setting", setUp: "SET querygate.carried = 'yes'", probe: "coalesce(current_setting('querygate.carried', true), '')", clean: ""),
        SessionAttempt(name: "advisory lock", setUp: "SELECT pg_advisory_lock(4242)",
                       probe: "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())", clean: "0"),
        SessionAttempt(name: "read-only default", setUp: "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                       probe: "current_setting('default_transaction_read_only')", clean: "off"),
        SessionAttempt(name: "read-write default", setUp: "SET default_transaction_read_only = off",
                       probe: "current_setting('transaction_read_only')", clean: "on"),
        SessionAttempt(name: "statement timeout", setUp: "SET statement_timeout = '17min'", probe: "current_setting('statement_timeout') <> '17min'", clean: "true"),
        SessionAttempt(name: "quoting rules", setUp: "SET standard_conforming_strings = off", probe: "current_setting('standard_conforming_strings')", clean: "on"),
        SessionAttempt(name: "LISTEN", setUp: "LISTEN carried", probe: "(SELECT count(*) FROM pg_listening_channels())", clean: "0"),
        SessionAttempt(name: "held cursor", setUp: "DECLARE carried CURSOR WITH HOLD FOR SELECT 1", probe: "(SELECT count(*) FROM pg_cursors WHERE name = 'carried')", clean: "0"),
    ]
}
