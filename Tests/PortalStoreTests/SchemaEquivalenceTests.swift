import Foundation
import PortalStore
import PostgresNIO
import QueryGateTestSupport
import Testing

/// The consolidated `portal_db_schema.sql` and the numbered history must describe the same database, whichever
/// way it is installed: by hand with psql, or by `querygate migrate`.
@Suite("Fresh install versus upgrade")
struct SchemaEquivalenceTests {
    @Test func consolidatedSchemaAndStepByStepHistoryProduceTheSameCatalog() async throws {
        let migrations = try Repository.loadMigrations()
        let fresh = try await TestDatabase.withEmpty { database in
            try Psql.apply("portal_db_schema.sql", to: database)
            return try await Catalog.describe(database.client)
        }
        let upgradedByHand = try await TestDatabase.withEmpty { database in
            for migration in migrations { try Psql.apply("\(migration.label).sql", to: database) }
            return try await Catalog.describe(database.client)
        }
        let upgradedByRunner = try await TestDatabase.withEmpty { database in
            _ = try await MigrationRunner(client: database.client, logger: database.server.logger).migrate(migrations)
            return try await Catalog.describe(database.client)
        }
        #expect(fresh.count > 100, "the catalog description looks empty")
        #expect(fresh.contains { $0.hasPrefix("function querygate_submit(") }, "the functions are not described")
        #expect(Catalog.difference(fresh, upgradedByHand).isEmpty, "\(Catalog.difference(fresh, upgradedByHand))")
        #expect(Catalog.difference(fresh, upgradedByRunner).isEmpty, "\(Catalog.difference(fresh, upgradedByRunner))")
    }

    @Test func migratingAFreshInstallRecordsTheHistoryAndChangesNothing() async throws {
        try await TestDatabase.withEmpty { database in
            try Psql.apply("portal_db_schema.sql", to: database)
            let before = try await Catalog.describe(database.client)
            let migrations = try Repository.loadMigrations()
            let applied = try await MigrationRunner(client: database.client, logger: database.server.logger).migrate(migrations)
            #expect(applied.count == migrations.count)
            #expect(Catalog.difference(before, try await Catalog.describe(database.client)).isEmpty)
        }
    }

    @Test func everyMigrationCanBeAppliedTwiceByHand() async throws {
        try await TestDatabase.withEmpty { database in
            for label in try Repository.loadMigrations().map(\.label) + ["portal_db_schema"] {
                try Psql.apply("\(label).sql", to: database)
            }
            let once = try await Catalog.describe(database.client)
            for label in try Repository.loadMigrations().map(\.label) + ["portal_db_schema"] {
                try Psql.apply("\(label).sql", to: database)
            }
            #expect(Catalog.difference(once, try await Catalog.describe(database.client)).isEmpty)
            let blacklistRows = try await Catalog.strings("SELECT count(*)::text FROM database_blacklist", on: database.client)
            #expect(blacklistRows == ["7"])
        }
    }
}

/// What an operator does: `psql -v ON_ERROR_STOP=1 -f Migrations/<file>`.
enum Psql {
    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    static func apply(_ file: String, to database: TestDatabase) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", database.name, "-f",
                             Repository.migrations.appendingPathComponent(file).path]
        var environment = ProcessInfo.processInfo.environment
        environment["PGHOST"] = database.server.host
        environment["PGPORT"] = String(database.server.port)
        environment["PGUSER"] = database.server.user
        environment["PGPASSWORD"] = database.server.password
        environment["PGOPTIONS"] = "-c client_min_messages=warning"
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failed(description: "psql -f \(file) failed: \(String(decoding: output, as: UTF8.self))")
        }
    }
}

/// A description of a database's schema as sorted lines: columns, constraints, indexes, sequences. The
/// runner's own bookkeeping table is not part of the schema being compared.
enum Catalog {
    static func describe(_ client: PostgresClient) async throws -> [String] {
        let columns = try await strings(
            """
            SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable
                   || ' default=' || coalesce(column_default, '-')
            FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name <> 'querygate_migrations'
            """, on: client)
        let constraints = try await strings(
            """
            SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'querygate_migrations'
            """, on: client)
        let indexes = try await strings(
            "SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'querygate_migrations'",
            on: client)
        let sequences = try await strings(
            "SELECT 'sequence ' || sequencename || ' ' || data_type::text FROM pg_sequences WHERE schemaname = 'public'", on: client)
        // Functions by their whole definition: a fresh install must run the same code as an upgraded one.
        let functions = try await strings(
            """
            SELECT 'function ' || p.proname || '(' || pg_get_function_arguments(p.oid) || ') ' || md5(pg_get_functiondef(p.oid))
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
            """, on: client)
        return (columns + constraints + indexes + sequences + functions).sorted()
    }

    /// Lines in one description and not the other, marked with the side they are on.
    static func difference(_ left: [String], _ right: [String]) -> [String] {
        let (l, r) = (Set(left), Set(right))
        return l.subtracting(r).map { "- \($0)" }.sorted() + r.subtracting(l).map { "+ \($0)" }.sorted()
    }

    static func strings(_ sql: String, on client: PostgresClient) async throws -> [String] {
        var values: [String] = []
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(String?.self) {
            if let value { values.append(value) }
        }
        return values
    }
}
