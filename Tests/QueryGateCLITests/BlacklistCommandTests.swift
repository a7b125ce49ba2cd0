import QueryGateCore
import QueryGateTestSupport
import Testing

/// `querygate blacklist`: audited changes, refusals that write nothing, and the next sync applying them.
@Suite("querygate blacklist")
struct BlacklistCommandTests {
    @Test func addedPatternsAreAuditedListedAppliedAtTheNextSyncAndRemovable() async throws {
        try await TestDatabase.withMigrated { database in
            let fixture = try await SyncFixture.make(database)
            let p = fixture.prefix
            try await fixture.create("scratch", "keep")
            try await database.store.addDatabase(instance: fixture.instance, name: DatabaseName("\(p)_scratch_manual"), description: nil, by: .cli(osUser: "t"))
            let querygate = CommandRunner(database: database, extraEnvironment: fixture.environment)
            try await querygate.run(["sync", "--instance", "pg-sync"])

            let added = try await querygate.run(["blacklist", "add", "--pattern", "\(p)_scratch", "--kind", "prefix", "--instance", "pg-sync", "--reason", "copies"])
            #expect(added.first?.hasPrefix("Blacklisted prefix '\(p)_scratch' on pg-sync") == true, "\(added)")
            #expect(try await database.store.recentAuditEntries().first?.action == "blacklist.added")
            let listed = try await querygate.run(["blacklist", "list", "--instance", "pg-sync"])
            #expect(listed.contains { $0.hasPrefix("pg-sync ") && $0.contains("prefix") && $0.contains("\(p)_scratch") && $0.hasSuffix("copies") })
            #expect(listed.contains { $0.hasPrefix("(all)") && $0.contains("rdsadmin") })

            try await querygate.run(["sync", "--instance", "pg-sync"])
            #expect(try await fixture.rows() == ["\(p)_keep synced active", "\(p)_scratch synced inactive missing", "\(p)_scratch_manual manual active"])

            #expect(try await querygate.run(["blacklist", "remove", "--pattern", "\(p)_scratch", "--instance", "pg-sync"])
                == ["Removed '\(p)_scratch' from the blacklist of instance pg-sync."])
            #expect(try await database.store.recentAuditEntries().first?.action == "blacklist.removed")
            try await querygate.run(["sync", "--instance", "pg-sync"])
            #expect(try await fixture.rows() == ["\(p)_keep synced active", "\(p)_scratch synced active", "\(p)_scratch_manual manual active"])
            try await fixture.dropAll()
        }
    }

    @Test("Bad patterns are refused and write nothing", arguments: [
        (["--pattern", "(unclosed", "--kind", "regex"], "pattern"),
        (["--pattern", "   "], "pattern"),
        (["--pattern", "postgres"], "pattern"),
        (["--pattern", "x", "--kind", "glob"], "kind"),
        (["--pattern", "x", "--instance", "nope"], "instance"),
    ])
    func badPatterns(arguments: [String], field: String) async throws {
        try await TestDatabase.withMigrated { (database: TestDatabase) async throws in
            let querygate = CommandRunner(database: database)
            let before = try await Rows.count("database_blacklist", in: database)
            do {
                try await querygate.run(["blacklist", "add"] + arguments)
                Issue.record("accepted \(arguments)")
            } catch let error as ValidationError {
                #expect(error.field == field, "\(error)")
            }
            #expect(try await Rows.count("database_blacklist", in: database) == before)
            #expect(try await Rows.count("audit_logs", in: database) == 0)
        }
    }

    @Test func removingWhatIsNotThereIsRefused() async throws {
        try await TestDatabase.withMigrated { (database: TestDatabase) async throws in
            let querygate = CommandRunner(database: database)
            await #expect(throws: ValidationError.self) { try await querygate.run(["blacklist", "remove", "--pattern", "nothing"]) }
            // An unknown instance never falls through to the patterns of every instance.
            await #expect(throws: ValidationError(field: "instance", "there is no instance named 'nope' (see `querygate instances list`)")) {
                try await querygate.run(["blacklist", "remove", "--pattern", "postgres", "--instance", "nope"])
            }
            #expect(try await Rows.count("database_blacklist", in: database) == 7)
            #expect(try await Rows.count("audit_logs", in: database) == 0)
        }
    }
}
