import Foundation
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import Testing

@Suite("Migration files")
struct MigrationFilesTests {
    @Test func theShippedMigrationsAreNumberedInOrder() throws {
        let migrations = try Repository.loadMigrations()
        // The seed's history first, in its order; later migrations follow it.
        #expect(Array(migrations.map(\.label).prefix(4)) == ["001_base_schema", "002_hybrid_sync_tables", "003_hybrid_sync_columns", "004_refresh_tokens"])
        #expect(migrations.map(\.version) == Array(1...migrations.count))
        #expect(Set(migrations.map(\.checksum)).count == migrations.count)
    }

    @Test func everyMigrationWrapsItselfInATransactionForPsql() throws {
        for migration in try Repository.loadMigrations() {
            let statements = SQLScript.statements(in: migration.sql)
            #expect(statements.first?.hasSuffix("BEGIN") == true, "\(migration.label)")
            #expect(statements.last == "COMMIT", "\(migration.label)")
        }
    }

    @Test func otherFilesAreNotMigrationsAndDuplicateVersionsAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qg-migrations-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["002_second.sql", "001_first.sql", "portal_db_schema.sql", "README.md", "01_too_short.sql", "003_.sql"] {
            try "SELECT 1;".write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        #expect(try MigrationDirectory.load(from: directory).map(\.label) == ["001_first", "002_second"])

        try "SELECT 2;".write(to: directory.appendingPathComponent("002_again.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationDirectory.LoadError.self) { try MigrationDirectory.load(from: directory) }
    }

    @Test func anEmptyDirectoryIsAnError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qg-empty-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: MigrationDirectory.LoadError.self) { try MigrationDirectory.load(from: directory) }
    }
}
