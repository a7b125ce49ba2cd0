import Foundation
import PortalStore
import PostgresNIO
import QueryGateTestSupport
import Testing

@Suite("Applying migrations to a real PostgreSQL")
struct MigrationRunnerTests {
    static let seedTables: Set<String> = [
        "users", "refresh_tokens", "pods", "database_instances", "databases", "database_blacklist",
        "database_sync_history", "query_requests", "slack_notifications", "audit_logs",
    ]

    @Test func anEmptyDatabaseGetsAllTenTablesAndASecondRunDoesNothing() async throws {
        try await TestDatabase.withEmpty { database in
            let runner = MigrationRunner(client: database.client, logger: database.server.logger)
            let migrations = try Repository.loadMigrations()

            let first = try await runner.migrate(migrations)
            #expect(first.map(\.migration.label) == migrations.map(\.label))
            let tables = try await Catalog.strings(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'", on: database.client)
            // The seed's ten, the runner's own record, the result exports of migration 005 and the approvals of 011.
            #expect(Set(tables) == Self.seedTables.union(["querygate_migrations", "query_result_exports", "request_approvals"]))

            // The seed's named columns, from the hybrid sync migration.
            let columns = try await Catalog.strings(
                """
                SELECT table_name || '.' || column_name FROM information_schema.columns
                WHERE table_schema = 'public' AND table_name IN ('database_instances', 'databases')
                """, on: database.client)
            for column in ["database_instances.credentials_env_prefix", "database_instances.connection_string_env",
                           "database_instances.last_sync_at", "database_instances.last_sync_status", "databases.source",
                           "databases.last_seen_at"] {
                #expect(columns.contains(column), "\(column)")
            }

            let second = try await runner.migrate(migrations)
            #expect(second.isEmpty)
            let recorded = try await Catalog.strings("SELECT version || ':' || checksum FROM querygate_migrations ORDER BY version", on: database.client)
            #expect(recorded == migrations.map { "\($0.version):\($0.checksum)" })
            let blacklist = try await Catalog.strings("SELECT pattern FROM database_blacklist ORDER BY pattern", on: database.client)
            #expect(blacklist == ["admin", "config", "local", "postgres", "rdsadmin", "template0", "template1"])
        }
    }

    @Test func aChangedAppliedMigrationIsRefusedBeforeAnythingElseRuns() async throws {
        try await TestDatabase.withEmpty { database in
            let directory = try MigrationFolder.copyOfShipped()
            defer { directory.remove() }
            let runner = MigrationRunner(client: database.client, logger: database.server.logger)
            _ = try await runner.migrate(try MigrationDirectory.load(from: directory.url))

            try directory.append("-- a harmless-looking edit\n", to: "002_hybrid_sync_tables.sql")
            try directory.write("BEGIN;\nCREATE TABLE should_not_exist (id int);\nCOMMIT;\n", to: "900_new.sql")
            let edited = try MigrationDirectory.load(from: directory.url)

            await #expect(throws: MigrationError.self) { try await runner.migrate(edited) }
            let leaked = try await Catalog.strings("SELECT to_regclass('should_not_exist')::text", on: database.client)
            #expect(leaked == [])
            let states = try await runner.status(of: edited).map(\.state)
            guard case .changed = states[1] else {
                Issue.record("expected 002 to be reported as changed, got \(states[1])")
                return
            }
            #expect(states.last == .pending)
        }
    }

    @Test func aMigrationWhoseFileDisappearedIsRefused() async throws {
        try await TestDatabase.withEmpty { database in
            let directory = try MigrationFolder.copyOfShipped()
            defer { directory.remove() }
            let runner = MigrationRunner(client: database.client, logger: database.server.logger)
            _ = try await runner.migrate(try MigrationDirectory.load(from: directory.url))
            try directory.delete("004_refresh_tokens.sql")

            await #expect(throws: MigrationError.missingFile(version: 4, name: "refresh_tokens")) {
                try await runner.migrate(try MigrationDirectory.load(from: directory.url))
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehindAndIsNotRecorded() async throws {
        try await TestDatabase.withEmpty { database in
            let directory = try MigrationFolder.copyOfShipped()
            defer { directory.remove() }
            try directory.write("BEGIN;\nCREATE TABLE half_done (id int);\nSELECT 1 / 0;\nCOMMIT;\n", to: "900_broken.sql")
            let runner = MigrationRunner(client: database.client, logger: database.server.logger)

            do {
                _ = try await runner.migrate(try MigrationDirectory.load(from: directory.url))
                Issue.record("a division by zero was applied")
            } catch let error as MigrationError {
                guard case .statementFailed(let migration, let statement, let reason) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(migration == "900_broken")
                #expect(statement == 2)
                #expect(reason.contains("22012"))
            }
            #expect(try await Catalog.strings("SELECT to_regclass('half_done')::text", on: database.client) == [])
            let shipped = try Repository.loadMigrations().count
            #expect(try await Catalog.strings("SELECT max(version)::text FROM querygate_migrations", on: database.client) == [String(shipped)])
        }
    }

    @Test func runnersStartingTogetherApplyEachMigrationOnce() async throws {
        try await TestDatabase.withEmpty { database in
            let migrations = try Repository.loadMigrations()
            let logger = database.server.logger
            let runs = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await MigrationRunner(client: database.client, logger: logger).migrate(migrations).map(\.migration.label) }
                }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            #expect(runs.flatMap { $0 }.sorted() == migrations.map(\.label))
            #expect(runs.filter(\.isEmpty).count == 3)
        }
    }
}

/// A scratch copy of `Migrations/` that a test may edit.
struct MigrationFolder {
    let url: URL

    static func copyOfShipped() throws -> MigrationFolder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qg-migrations-\(UUID())")
        try FileManager.default.copyItem(at: Repository.migrations, to: url)
        return MigrationFolder(url: url)
    }

    func write(_ text: String, to name: String) throws {
        try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func append(_ text: String, to name: String) throws {
        let existing = try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
        try write(existing + text, to: name)
    }

    func delete(_ name: String) throws {
        try FileManager.default.removeItem(at: url.appendingPathComponent(name))
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// 008 gives the seed's LIKE-style patterns a kind that keeps their meaning.
@Suite("Blacklist kinds migration")
struct BlacklistKindMigrationTests {
    @Test func likePatternsBecomePrefixesOrAnchoredRegexesAndExactNamesStayExact() async throws {
        try await TestDatabase.withEmpty { database in
            let migrations = try Repository.loadMigrations()
            let runner = MigrationRunner(client: database.client, logger: database.server.logger)
            _ = try await runner.migrate(Array(migrations.prefix(7)))
            try await database.client.query(
                "INSERT INTO database_blacklist (instance_id, pattern) VALUES (NULL, 'tmp%'), (NULL, 'ci_%_copy'), (NULL, 'a.b%c')")
            _ = try await runner.migrate(migrations)
            let rows = try await Catalog.strings(
                "SELECT kind || ' ' || pattern FROM database_blacklist WHERE pattern NOT IN ('admin', 'config', 'local', 'postgres', 'rdsadmin', 'template0', 'template1') ORDER BY pattern COLLATE \"C\"",
                on: database.client)
            #expect(rows == [#"regex ^a\.b.*c$"#, "regex ^ci..*.copy$", "prefix tmp"])
            let exact = try await Catalog.strings("SELECT DISTINCT kind FROM database_blacklist WHERE pattern = 'postgres'", on: database.client)
            #expect(exact == ["exact"])
            let matches = try await Catalog.strings(
                "SELECT string_agg(n, ',' ORDER BY n) FROM unnest(ARRAY['ci_7_copy', 'cix_copy', 'ci_7_copyx']) n WHERE n ~ '^ci..*.copy$'",
                on: database.client)
            #expect(matches == ["ci_7_copy,cix_copy"])
        }
    }
}
