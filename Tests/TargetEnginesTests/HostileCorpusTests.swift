import Foundation
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import TargetEngines
import Testing

/// The hostile-request corpus (`HostileCorpus`) against the real PostgreSQL: each attempt is shown to the approver
/// as what it is, and whatever runs read-only changes nothing. Attempts the analysis calls writes are run read-only
/// too, as if the analysis had missed them: the database must refuse them all the same.
@Suite("Hostile requests against the gate")
struct HostileCorpusTests {
    @Test("The approver sees what it is; read-only changes nothing", arguments: HostileCorpus.sql)
    func attempt(_ attempt: SQLAttempt) async throws {
        let assessment = RiskAnalysis.assess(attempt.sql, on: .postgresql)
        #expect(assessment.level == attempt.shown, "\(attempt.name): shown \(assessment.level.label), \(assessment.warnings)")
        guard attempt.database != .outOfReach else {
            #expect(!assessment.isReadOnly, "\(attempt.name) reaches outside the transaction but looks read-only")
            return
        }
        try await TestDatabase.withTarget { target in
            let before: String
            do {
                for statement in corpusSetUp {
                    // The corpus's own fixed statements, never input.
                    _ = try await target.client.query(PostgresQuery(unsafeSQL: statement))
                }
                before = try await Self.fingerprint(of: target)
            } catch let error as PSQLError {
                Issue.record("setting up the corpus failed: \(String(reflecting: error))")
                throw error
            }
            let runner = PostgresSessionTests.Runner(target)
            // The executor's flag when it is read-only; forced read-only otherwise.
            let result = await runner.execute(attempt.sql, readOnly: true)
            await runner.engine.shutdown()
            switch (attempt.database, result) {
            case (.refuses, .success(let success)):
                Issue.record("\(attempt.name) ran read-only: \(success.statements.map(\.command))")
            case (.allows, .failure(let failure)):
                Issue.record("\(attempt.name) should only read, but failed: \(failure)")
            default:
                break
            }
            #expect(try await Self.fingerprint(of: target) == before, "\(attempt.name) changed the target")
        }
    }

    @Test func theCorpusIsLargeAndEveryNameIsUnique() {
        #expect(HostileCorpus.sql.count + HostileCorpus.session.count >= 60)
        #expect(Set(HostileCorpus.sql.map(\.name)).count == HostileCorpus.sql.count)
    }

    @Test("Two requests in a row on one connection share no session state", arguments: HostileCorpus.session)
    func sessionState(_ attempt: SessionAttempt) async throws {
        try await TestDatabase.withTarget { target in
            let runner = PostgresSessionTests.Runner(target)
            let first = try await runner.rows(attempt.setUp + "; SELECT pg_backend_pid()::text", readOnly: false)
            let probe = try await runner.rows("SELECT pg_backend_pid()::text, (\(attempt.probe))::text")
            await runner.engine.shutdown()
            #expect(probe[0][0] == first[0][0], "\(attempt.name): the second request ran on another connection")
            #expect(probe[0][1] == attempt.clean, "\(attempt.name): the second request saw \(probe[0][1] ?? "NULL")")
        }
    }

    /// The target's data, schema, sequences, large objects, roles and settings, as one string.
    static func fingerprint(of target: TestDatabase) async throws -> String {
        let tables = ["customers", "products", "orders", "order_items", "corpus_log"].map { table in
            "(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \(table) t)"
        }
        let parts = tables + [
            """
            (SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' ORDER BY n.nspname, c.relname)
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')
            """,
            "(SELECT last_value::text || is_called::text FROM corpus_seq)",
            "(SELECT count(*)::text FROM pg_largeobject_metadata)",
            "(SELECT count(*)::text FROM pg_prepared_xacts)",
            "(SELECT coalesce(string_agg(rolname, ','), '') FROM pg_roles WHERE rolname LIKE 'corpus%')",
            "(SELECT count(*)::text FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database())",
            "(SELECT count(*)::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace)",
        ]
        return try await Rows.strings("SELECT concat_ws('|', \(parts.joined(separator: ", ")))", in: target).joined()
    }
}
