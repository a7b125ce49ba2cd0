import Foundation
import PortalAPI
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import Testing

/// `querygate users set-password`: asked at the terminal (or read from standard input), never an argument, never
/// printed or stored in clear.
@Suite struct SetPasswordCommandTests {
    static let password = "a long enough passphrase"

    static func storedHash(_ database: TestDatabase) async throws -> String? {
        try await Rows.strings("SELECT password_hash FROM users WHERE email = 'maria@example.com' AND password_hash IS NOT NULL", in: database).first
    }

    static func prepare(_ database: TestDatabase) async throws -> CommandRunner {
        let querygate = CommandRunner(database: database, extraEnvironment: ["QUERYGATE_BCRYPT_COST": "4"])
        try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0APPROVE1"])
        try await querygate.run(["users", "add", "--email", "maria@example.com", "--name", "Maria", "--role", "manager", "--pod", "payments"])
        return querygate
    }

    @Test func aPromptedPasswordIsStoredAsABcryptHashAndAudited() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = try await Self.prepare(database)
            let input = ScriptedInput(secrets: [Self.password, Self.password])
            let printed = try await querygate.run(["users", "set-password", "--email", "Maria@Example.com"], input: input)
            #expect(printed == ["Set the portal password of maria@example.com."])
            #expect(input.prompts == ["New password for Maria@Example.com: ", "Again, to be sure: "])

            let hash = try #require(try await Self.storedHash(database))
            #expect(hash.hasPrefix("$2b$04$"))
            let hasher = try await PasswordHasher(threadPool: .singleton, cost: 4)
            #expect(try await hasher.verify(Self.password, against: hash))
            #expect(try await !hasher.verify("another password entirely", against: hash))
            let audit = try await database.store.recentAuditEntries(limit: 1).first
            #expect(audit?.action == "user.password_set")
            #expect(audit?.detailsJSON.contains(Self.password) == false)
        }
    }

    @Test func settingAPasswordEndsTheUsersSessions() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = try await Self.prepare(database)
            let maria = try #require(try await database.store.loginAccount(email: EmailAddress("maria@example.com"))?.user)
            for device in ["laptop", "phone"] {
                _ = try await database.store.startSession(userID: maria.id, email: maria.email, tokenHash: String(repeating: device == "laptop" ? "a" : "b", count: 64), device: device, ip: nil,
                                                         expiresAt: Date().addingTimeInterval(3600))
            }
            #expect(try await database.store.liveSessions(of: maria.id).count == 2)
            try await querygate.run(["users", "set-password", "--email", "maria@example.com", "--password-stdin"],
                                    input: ScriptedInput(lines: [Self.password]))
            #expect(try await database.store.liveSessions(of: maria.id).isEmpty)
            let audit = try await database.store.recentAuditEntries(limit: 1).first
            #expect(audit?.detailsJSON == #"{"sessions_ended": "2"}"#)
        }
    }

    @Test func standardInputServesScripts() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = try await Self.prepare(database)
            let input = ScriptedInput(lines: [Self.password])
            try await querygate.run(["users", "set-password", "--email", "maria@example.com", "--password-stdin"], input: input)
            #expect(input.prompts.isEmpty)
            let hash = try #require(try await Self.storedHash(database))
            #expect(try await PasswordHasher(threadPool: .singleton, cost: 4).verify(Self.password, against: hash))
        }
    }

    @Test(arguments: [
        (ScriptedInput(secrets: [password, "a different passphrase"]), [String](), "the two entries differ"),
        (ScriptedInput(secrets: ["short", "short"]), [], "use at least 12"),
        (ScriptedInput(), [], "pipe the password in with --password-stdin"),
        (ScriptedInput(), ["--password-stdin"], "standard input was empty"),
        (ScriptedInput(lines: [String(repeating: "x", count: 73)]), ["--password-stdin"], "longer than bcrypt reads"),
    ])
    func refusalsChangeNothing(input: ScriptedInput, flags: [String], message: String) async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = try await Self.prepare(database)
            await #expect {
                try await querygate.run(["users", "set-password", "--email", "maria@example.com"] + flags, input: input)
            } throws: { error in
                "\(error)".contains(message)
            }
            #expect(try await Self.storedHash(database) == nil)
            #expect(try await database.store.recentAuditEntries(limit: 1).first?.action == "user.created")
        }
    }

    @Test func anUnknownUserIsRefused() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = try await Self.prepare(database)
            await #expect {
                try await querygate.run(["users", "set-password", "--email", "nobody@example.com", "--password-stdin"],
                                        input: ScriptedInput(lines: [Self.password]))
            } throws: { error in
                "\(error)".contains("there is no user with e-mail nobody@example.com")
            }
        }
    }

    @Test func theBinaryReadsStandardInputAndPrintsNoSecret() async throws {
        try await TestDatabase.withMigrated { database in
            _ = try await Self.prepare(database)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qg-password-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let secretFile = directory.appendingPathComponent("password")
            try Data((Self.password + "\n").utf8).write(to: secretFile)

            let process = try ChildProcess(
                [ChildProcess.querygateExecutable, "users", "set-password", "--email", "maria@example.com", "--password-stdin"],
                environment: database.environment.merging(["QUERYGATE_BCRYPT_COST": "4"]) { $1 }, directory: directory,
                standardInput: secretFile.path)
            #expect(await process.waitForExit() == 0)
            #expect(process.output == "Set the portal password of maria@example.com.\n")
            let hash = try #require(try await Self.storedHash(database))
            #expect(try await PasswordHasher(threadPool: .singleton, cost: 4).verify(Self.password, against: hash))
        }
    }
}
