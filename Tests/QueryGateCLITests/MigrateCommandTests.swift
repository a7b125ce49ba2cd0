import Foundation
import PortalStore
import QueryGateTestSupport
import Testing

@Suite("querygate migrate")
struct MigrateCommandTests {
    @Test func appliesThenReportsNothingToDoThenListsStatus() async throws {
        try await TestDatabase.withEmpty { database in
            let querygate = CommandRunner(database: database)
            let count = try Repository.loadMigrations().count
            let first = try await querygate.run(["migrate"])
            #expect(first.first == "Portal database: postgres@\(database.server.host):\(database.server.port)/\(database.name)")
            #expect(first.dropFirst().prefix(4).map { $0.components(separatedBy: " (").first ?? "" } == [
                "applied 001_base_schema", "applied 002_hybrid_sync_tables", "applied 003_hybrid_sync_columns", "applied 004_refresh_tokens",
            ])
            #expect(first.count == count + 2)
            #expect(first.last == "Done: \(count) applied, \(count) in all.")

            let second = try await querygate.run(["migrate"])
            #expect(second.last == "Already up to date: \(count) migrations applied, nothing to do.")

            let status = try await querygate.run(["migrate", "--status"])
            // The NAME column is as wide as the longest migration name.
            #expect(status.first?.wholeMatch(of: /VERSION  NAME +STATE/) != nil, "\(status.first ?? "")")
            #expect(status.count == count + 1)
            #expect(status.dropFirst().allSatisfy { $0.contains(" applied 20") })
        }
    }

    @Test func statusOnAnEmptyDatabaseShowsEverythingPending() async throws {
        try await TestDatabase.withEmpty { database in
            let status = try await CommandRunner(database: database).run(["migrate", "--status"])
            #expect(status.count == (try Repository.loadMigrations().count) + 1)
            #expect(status.dropFirst().allSatisfy { $0.hasSuffix("pending") })
        }
    }

    @Test func statusFailsWhenAnAppliedMigrationChanged() async throws {
        try await TestDatabase.withEmpty { database in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qg-migrate-\(UUID())")
            try FileManager.default.copyItem(at: Repository.migrations, to: folder)
            defer { try? FileManager.default.removeItem(at: folder) }
            let querygate = CommandRunner(database: database)
            try await querygate.run(["migrate", "--migrations-dir", folder.path])

            let file = folder.appendingPathComponent("001_base_schema.sql")
            try (try String(contentsOf: file, encoding: .utf8) + "\n-- edited\n").write(to: file, atomically: true, encoding: .utf8)
            await #expect(throws: MigrationError.self) { try await querygate.run(["migrate", "--migrations-dir", folder.path]) }
            await #expect(throws: MigrationError.changedOrMissing(label: "1_base_schema")) {
                try await querygate.run(["migrate", "--status", "--migrations-dir", folder.path])
            }
            #expect(querygate.output.lines.contains { $0.contains("CHANGED since it was applied") })
        }
    }
}
