import QueryGateCore
import Testing

@Suite("Directory rules")
struct DirectoryTests {
    @Test func rolesParseCaseInsensitivelyAndRefuseOthers() throws {
        #expect(try Role(parsing: " Manager ") == .manager)
        #expect(throws: ValidationError(field: "role", "'boss' is not a role (choose one of: developer, manager, admin)")) {
            try Role(parsing: "boss")
        }
    }

    @Test func developersAndManagersNeedAPodAdminsDoNot() throws {
        let email = try EmailAddress("a@example.com")
        #expect(throws: ValidationError.self) { try NewUser(email: email, name: "A", role: .developer, pod: nil, slackUserID: nil) }
        #expect(throws: ValidationError.self) { try NewUser(email: email, name: "A", role: .manager, pod: nil, slackUserID: nil) }
        let admin = try NewUser(email: email, name: "  A  ", role: .admin, pod: nil, slackUserID: nil)
        #expect(admin.name == "A")
        #expect(throws: ValidationError.self) { try NewUser(email: email, name: "   ", role: .admin, pod: nil, slackUserID: nil) }
    }

    @Test func postgresqlInstancesNameAPrefixMongoDBInstancesAConnectionStringVariable() throws {
        let postgres = try InstanceCredentials(type: .postgresql, environmentPrefix: "PG_INSTANCE_1", connectionStringVariable: nil)
        #expect(postgres.variableNames == ["PG_INSTANCE_1_HOST", "PG_INSTANCE_1_PORT", "PG_INSTANCE_1_USER", "PG_INSTANCE_1_PASSWORD"])
        let mongo = try InstanceCredentials(type: .mongodb, environmentPrefix: nil, connectionStringVariable: "MONGO_INSTANCE_1_URI")
        #expect(mongo.variableNames == ["MONGO_INSTANCE_1_URI"])

        #expect(throws: ValidationError.self) { try InstanceCredentials(type: .postgresql, environmentPrefix: nil, connectionStringVariable: nil) }
        #expect(throws: ValidationError.self) {
            try InstanceCredentials(type: .postgresql, environmentPrefix: "PG_1", connectionStringVariable: "URI")
        }
        #expect(throws: ValidationError.self) { try InstanceCredentials(type: .mongodb, environmentPrefix: "PG_1", connectionStringVariable: nil) }
        #expect(throws: ValidationError.self) { try InstanceCredentials(type: .mongodb, environmentPrefix: nil, connectionStringVariable: "mongo_uri") }
    }

    @Test func databaseTypesAcceptCommonSpellings() throws {
        #expect(try DatabaseType(parsing: "Postgres") == .postgresql)
        #expect(try DatabaseType(parsing: "mongo") == .mongodb)
        #expect(throws: ValidationError.self) { try DatabaseType(parsing: "mysql") }
    }
}
