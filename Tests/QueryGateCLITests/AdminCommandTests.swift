import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import Testing

/// The administration commands against the real portal database: what they write, and that bad input is
/// refused with a clear message and changes nothing (no row, no audit entry).
@Suite("Administration commands")
struct AdminCommandTests {
    @Test func addingAPodWritesItAndItsAuditRow() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = CommandRunner(database: database)
            let printed = try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0APPROVE1", "--description", "Payments team"])
            #expect(printed == ["Added pod payments (id 1); approvals go to Slack channel C0APPROVE1."])

            let audit = try await database.store.recentAuditEntries()
            #expect(audit.map(\.action) == ["pod.created"])
            #expect(audit.first?.actorLabel == "cli:tester")
            #expect(audit.first?.source == "cli")
            #expect(audit.first?.detailsJSON.contains("\"slack_channel_id\": \"C0APPROVE1\"") == true)
        }
    }

    @Test func podsListShowsChannelsManagersAndMembers() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = CommandRunner(database: database)
            try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0APPROVE1"])
            try await querygate.run(["pods", "add", "--name", "search", "--channel", "C0SEARCH01"])
            try await querygate.run(["users", "add", "--email", "maria@example.com", "--name", "Maria", "--role", "manager", "--pod", "payments"])
            try await querygate.run(["users", "add", "--email", "dev@example.com", "--name", "Dev", "--pod", "payments"])

            let printed = try await querygate.run(["pods", "list"])
            #expect(printed == [
                "NAME      CHANNEL     MANAGERS           MEMBERS  ACTIVE  REQUEST TTL  APPROVALS",
                "payments  C0APPROVE1  maria@example.com  2        yes     default      1 for everything",
                "search    C0SEARCH01  (none)             0        yes     default      1 for everything",
            ])
        }
    }

    @Test func aPodsRequestTimeToLiveIsSetAuditedListedAndResetAndBadValuesChangeNothing() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = CommandRunner(database: database)
            try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0APPROVE1"])
            #expect(try await querygate.run(["pods", "set", "--name", "payments", "--request-ttl", "120m"])
                == ["Requests of pod payments now expire 2h after they are made."])
            #expect(try await Rows.strings("SELECT request_ttl_seconds::text FROM pods", in: database) == ["7200"])
            #expect(try await querygate.run(["pods", "list"]).last?.contains(" 2h ") == true)
            let audited = try await database.store.recentAuditEntries(limit: 1).first
            #expect(audited?.action == "pod.updated" && audited?.detailsJSON.contains("\"request_ttl\": \"2h\"") == true)

            for (arguments, field) in [(["--name", "payments", "--request-ttl", "2x"], "request-ttl"),
                                       (["--name", "payments", "--request-ttl", "30s"], "request-ttl"),
                                       (["--name", "payments", "--request-ttl", "100d"], "request-ttl"),
                                       (["--name", "nope", "--request-ttl", "1h"], "pod")] {
                await #expect { try await querygate.run(["pods", "set"] + arguments) } throws: { ($0 as? ValidationError)?.field == field }
            }
            #expect(try await Rows.strings("SELECT request_ttl_seconds::text FROM pods", in: database) == ["7200"])
            #expect(try await Rows.count("audit_logs WHERE action = 'pod.updated'", in: database) == 1)

            try await querygate.run(["pods", "set", "--name", "payments", "--request-ttl", "default"])
            #expect(try await Rows.count("pods WHERE request_ttl_seconds IS NULL", in: database) == 1)
        }
    }

    @Test func aPodsApprovalsByRiskClassAreSetAuditedListedAndBadNumbersChangeNothing() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = CommandRunner(database: database)
            try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0APPROVE1"])
            #expect(try await querygate.run(["pods", "list"]).last?.hasSuffix("1 for everything") == true)
            #expect(try await querygate.run(["pods", "set", "--name", "payments", "--approvals-dangerous", "2", "--approvals-ddl", "2"])
                == ["Requests of pod payments now need approvals: 1 read-only, 1 write, 2 DDL, 2 dangerous."])
            #expect(try await querygate.run(["pods", "set", "--name", "payments", "--approvals-write", "3"])
                == ["Requests of pod payments now need approvals: 1 read-only, 3 write, 2 DDL, 2 dangerous."], "the other classes keep theirs")
            #expect(try await querygate.run(["pods", "list"]).last?.hasSuffix("1 read-only, 3 write, 2 DDL, 2 dangerous") == true)
            let audited = try await database.store.recentAuditEntries(limit: 1).first
            #expect(audited?.action == "pod.updated" && audited?.detailsJSON.contains("3 write") == true)

            // Nothing is changed when any part is wrong, the time to live included.
            for (arguments, field) in [(["--name", "payments", "--approvals-dangerous", "0"], "approvals-dangerous"),
                                       (["--name", "payments", "--approvals-read-only", "6"], "approvals-read-only"),
                                       (["--name", "payments", "--request-ttl", "2h", "--approvals-ddl", "9"], "approvals-ddl"),
                                       (["--name", "nope", "--approvals-ddl", "2"], "pod"),
                                       (["--name", "payments"], "name")] {
                await #expect { try await querygate.run(["pods", "set"] + arguments) } throws: { ($0 as? ValidationError)?.field == field }
            }
            #expect(try await Rows.strings(
                "SELECT concat_ws(',', approvals_read_only, approvals_write, approvals_ddl, approvals_dangerous, request_ttl_seconds) FROM pods",
                in: database) == ["1,3,2,2"])
            #expect(try await Rows.count("audit_logs WHERE action = 'pod.updated'", in: database) == 2)
        }
    }

    @Test("Bad pod input is refused and changes nothing", arguments: [
        (["--name", "Payments", "--channel", "C0APPROVE1"], "name"),
        (["--name", "payments", "--channel", "#db-approvals"], "channel"),
        (["--name", "payments", "--channel", "U0DEV0001"], "channel"),
    ])
    func badPodInput(arguments: [String], field: String) async throws {
        try await TestDatabase.withMigrated { (database: TestDatabase) async throws in
            let querygate = CommandRunner(database: database)
            await #expect { try await querygate.run(["pods", "add"] + arguments) } throws: { error in
                (error as? ValidationError)?.field == field
            }
            #expect(try await Rows.count("pods", in: database) == 0)
            #expect(try await Rows.count("audit_logs", in: database) == 0)
        }
    }

    @Test func aDuplicatePodIsRefusedAndAuditedOnce() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = CommandRunner(database: database)
            try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0APPROVE1"])
            await #expect(throws: ValidationError(field: "name", "a pod named 'payments' already exists")) {
                try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0OTHER001"])
            }
            #expect(try await Rows.count("pods", in: database) == 1)
            #expect(try await Rows.count("audit_logs", in: database) == 1)
        }
    }

    @Test func addingUsersLinksThemToTheirPodAndSlack() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = CommandRunner(database: database)
            try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0APPROVE1"])
            let printed = try await querygate.run([
                "users", "add", "--email", "Maria@Example.com", "--name", "Maria K", "--role", "manager", "--pod", "payments",
                "--slack-id", "U0MGR0001",
            ])
            #expect(printed == ["Added manager maria@example.com (id 1) to pod payments, Slack U0MGR0001."])
            let admin = try await querygate.run(["users", "add", "--email", "root@example.com", "--name", "Root", "--role", "admin"])
            #expect(admin == ["Added admin root@example.com (id 2), no Slack id: they cannot use /query until one is set."])

            let users = try await database.store.listUsers()
            #expect(users.map(\.email) == ["maria@example.com", "root@example.com"])
            #expect(users.first?.podName == "payments")
            #expect(users.first?.slackUserID == "U0MGR0001")
            #expect(try await database.store.recentAuditEntries().map(\.action) == ["user.created", "user.created", "pod.created"])
        }
    }

    @Test("Bad user input is refused with a clear message and changes nothing", arguments: [
        (["--email", "dev@example.com", "--name", "Dev", "--pod", "nowhere"], "pod", "there is no pod named 'nowhere' (see `querygate pods list`)"),
        (["--email", "MARIA@example.com", "--name", "Again", "--pod", "payments"], "email", "a user with e-mail maria@example.com already exists"),
        (["--email", "dev@example.com", "--name", "Dev", "--pod", "payments", "--slack-id", "U0MGR0001"], "slack-id",
         "Slack user U0MGR0001 already belongs to another portal user"),
        (["--email", "dev@example.com", "--name", "Dev", "--pod", "payments", "--slack-id", "u0dev"], "slack-id", nil),
        (["--email", "dev@example.com", "--name", "Dev", "--pod", "payments", "--role", "superuser"], "role",
         "'superuser' is not a role (choose one of: developer, manager, admin)"),
        (["--email", "dev@example.com", "--name", "Dev"], "pod", "a developer must belong to a pod (its approvals are routed through it)"),
        (["--email", "not-an-email", "--name", "Dev", "--pod", "payments"], "email", "'not-an-email' is not an e-mail address"),
    ] as [([String], String, String?)])
    func badUserInput(arguments: [String], field: String, message: String?) async throws {
        try await TestDatabase.withMigrated { (database: TestDatabase) async throws in
            let querygate = CommandRunner(database: database)
            try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0APPROVE1"])
            try await querygate.run(["users", "add", "--email", "maria@example.com", "--name", "Maria", "--pod", "payments", "--slack-id", "U0MGR0001"])
            let usersBefore = try await Rows.count("users", in: database)
            let auditBefore = try await Rows.count("audit_logs", in: database)

            await #expect { try await querygate.run(["users", "add"] + arguments) } throws: { error in
                guard let error = error as? ValidationError else { return false }
                return error.field == field && (message == nil || error.message == message)
            }
            #expect(try await Rows.count("users", in: database) == usersBefore)
            #expect(try await Rows.count("audit_logs", in: database) == auditBefore)
        }
    }

    @Test func usersListFiltersByPod() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = CommandRunner(database: database)
            try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0APPROVE1"])
            try await querygate.run(["pods", "add", "--name", "search", "--channel", "C0SEARCH01"])
            try await querygate.run(["users", "add", "--email", "a@example.com", "--name", "A", "--pod", "payments"])
            try await querygate.run(["users", "add", "--email", "b@example.com", "--name", "B", "--pod", "search", "--slack-id", "U0B000001"])
            let printed = try await querygate.run(["users", "list", "--pod", "search"])
            #expect(printed == [
                "EMAIL          NAME  ROLE       POD     SLACK      ACTIVE",
                "b@example.com  B     developer  search  U0B000001  yes",
            ])
        }
    }

    @Test func deactivatingAUserIsAuditedAndUnknownUsersAreRefused() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = CommandRunner(database: database)
            try await querygate.run(["pods", "add", "--name", "payments", "--channel", "C0APPROVE1"])
            try await querygate.run(["users", "add", "--email", "a@example.com", "--name", "A", "--pod", "payments"])

            #expect(try await querygate.run(["users", "deactivate", "--email", "A@example.com"]) == ["Deactivated a@example.com; their portal sessions are ended."])
            #expect(try await database.store.listUsers().first?.isActive == false)
            #expect(try await database.store.recentAuditEntries(limit: 1).first?.action == "user.deactivated")

            await #expect(throws: ValidationError(field: "email", "there is no user with e-mail nobody@example.com")) {
                try await querygate.run(["users", "deactivate", "--email", "nobody@example.com"])
            }
            try await querygate.run(["users", "activate", "--email", "a@example.com"])
            #expect(try await database.store.listUsers().first?.isActive == true)
        }
    }

    @Test func instancesAreRegisteredByVariableNamesAndListedWithoutValues() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = CommandRunner(database: database, extraEnvironment: [
                "PG_INSTANCE_1_HOST": "db.internal", "PG_INSTANCE_1_PORT": "5432", "PG_INSTANCE_1_USER": "reader",
                "PG_INSTANCE_1_PASSWORD": "hunter2-do-not-print",
            ])
            try await querygate.run(["instances", "add", "--name", "pg-main", "--type", "postgresql", "--credentials-env-prefix", "PG_INSTANCE_1"])
            let mongo = try await querygate.run([
                "instances", "add", "--name", "mongo-main", "--type", "mongodb", "--connection-string-env", "MONGO_INSTANCE_1_URI",
            ])
            #expect(mongo.last == "Note: MONGO_INSTANCE_1_URI not set in this environment; set them where `querygate serve` runs.")

            let printed = try await querygate.run(["instances", "list"])
            #expect(printed == [
                "NAME        TYPE        CREDENTIALS           SET HERE  DATABASES  ACTIVE  LAST SYNC  SYNC STATUS  FOUND/ADDED/BACK/MISSING",
                "mongo-main  mongodb     MONGO_INSTANCE_1_URI  no        0          yes     never      -            -",
                "pg-main     postgresql  PG_INSTANCE_1_*       yes       0          yes     never      -            -",
            ])
            let stored = try await Rows.strings("SELECT row_to_json(i)::text FROM database_instances i", in: database)
            #expect(!stored.joined().contains("hunter2"))
            #expect(!stored.joined().contains("db.internal"))
        }
    }

    @Test("Instances with the wrong kind of credentials are refused", arguments: [
        ["--name", "pg-main", "--type", "postgresql"],
        ["--name", "pg-main", "--type", "postgresql", "--connection-string-env", "PG_URI"],
        ["--name", "pg-main", "--type", "postgresql", "--credentials-env-prefix", "pg_instance_1"],
        ["--name", "mongo", "--type", "mongodb", "--credentials-env-prefix", "PG_INSTANCE_1"],
        ["--name", "my/sql", "--type", "postgresql", "--credentials-env-prefix", "PG_INSTANCE_1"],
        ["--name", "maria", "--type", "mysql", "--credentials-env-prefix", "PG_INSTANCE_1"],
    ])
    func badInstances(arguments: [String]) async throws {
        try await TestDatabase.withMigrated { (database: TestDatabase) async throws in
            await #expect(throws: ValidationError.self) { try await CommandRunner(database: database).run(["instances", "add"] + arguments) }
            #expect(try await Rows.count("database_instances", in: database) == 0)
            #expect(try await Rows.count("audit_logs", in: database) == 0)
        }
    }

    @Test func databasesBelongToAnExistingInstanceOnce() async throws {
        try await TestDatabase.withMigrated { database in
            let querygate = CommandRunner(database: database)
            try await querygate.run(["instances", "add", "--name", "pg-main", "--type", "postgresql", "--credentials-env-prefix", "PG_INSTANCE_1"])
            #expect(try await querygate.run(["databases", "add", "--instance", "pg-main", "--name", "customer_db"])
                == ["Added database pg-main/customer_db (id 1)."])

            await #expect(throws: ValidationError(field: "instance", "there is no instance named 'pg-other' (see `querygate instances list`)")) {
                try await querygate.run(["databases", "add", "--instance", "pg-other", "--name", "customer_db"])
            }
            await #expect(throws: ValidationError(field: "name", "instance 'pg-main' already has a database named 'customer_db'")) {
                try await querygate.run(["databases", "add", "--instance", "pg-main", "--name", "customer_db"])
            }
            #expect(try await Rows.count("databases", in: database) == 1)
            #expect(try await querygate.run(["databases", "list"]) == [
                "TARGET               TYPE        SOURCE  ACTIVE  ON SERVER  DESCRIPTION",
                "pg-main/customer_db  postgresql  manual  yes     -          ",
            ])
        }
    }
}
