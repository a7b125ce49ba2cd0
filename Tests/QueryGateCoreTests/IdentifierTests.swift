import QueryGateCore
import Testing

@Suite("Checked identifiers")
struct IdentifierTests {
    @Test("Slack user ids are U or W followed by capitals and digits", arguments: ["U0DEV0001", "W012ABCDEF", "U123"])
    func acceptsSlackUserIDs(_ text: String) throws {
        #expect(try SlackUserID(text).rawValue == text)
    }

    @Test("Malformed Slack user ids are refused with the field named",
          arguments: ["", "u0dev0001", "C0DEV0001", "U0", "U0DEV 001", "<@U0DEV0001>", "U0DEV-001", "Ü0DEV0001"])
    func refusesMalformedSlackUserIDs(_ text: String) {
        #expect(throws: ValidationError.self) { try SlackUserID(text) }
        do {
            _ = try SlackUserID(text)
        } catch {
            #expect(error.field == "slack-id")
        }
    }

    @Test func channelIDsAreNotUserIDs() throws {
        #expect(try SlackChannelID("C0APPROVE1").rawValue == "C0APPROVE1")
        #expect(try SlackChannelID("G0PRIVATE1").rawValue == "G0PRIVATE1")
        #expect(throws: ValidationError.self) { try SlackChannelID("U0DEV0001") }
        #expect(throws: ValidationError.self) { try SlackChannelID("#db-approvals") }
    }

    @Test func emailsAreLowerCasedAndTrimmed() throws {
        #expect(try EmailAddress("  Maria@Example.COM ").rawValue == "maria@example.com")
    }

    @Test("Malformed e-mail addresses are refused",
          arguments: ["", "maria", "maria@", "@example.com", "maria@example", "ma ria@example.com", "a@b@example.com", "maria@.com", "maria@example."])
    func refusesMalformedEmails(_ text: String) {
        #expect(throws: ValidationError.self) { try EmailAddress(text) }
    }

    @Test func podNamesAreLowerCaseSlugs() throws {
        #expect(try PodName("payments-eu_2").rawValue == "payments-eu_2")
        for bad in ["", "Payments", "-payments", "pay ments", "pay/ments", String(repeating: "a", count: 64)] {
            #expect(throws: ValidationError.self, "\(bad)") { try PodName(bad) }
        }
    }

    @Test func instanceAndDatabaseNamesCannotMakeATargetAmbiguous() throws {
        #expect(try InstanceName("pg-main.eu_1").rawValue == "pg-main.eu_1")
        #expect(try DatabaseName("Customer-DB").rawValue == "Customer-DB")
        #expect(throws: ValidationError.self) { try InstanceName("pg/main") }
        #expect(throws: ValidationError.self) { try InstanceName(".hidden") }
        #expect(throws: ValidationError.self) { try DatabaseName("a/b") }
        #expect(throws: ValidationError.self) { try DatabaseName("a b") }
        #expect(throws: ValidationError.self) { try DatabaseName("") }
    }

    @Test func environmentVariableNamesAreShellNames() throws {
        #expect(try EnvironmentVariableName("PG_INSTANCE_1", field: "x").rawValue == "PG_INSTANCE_1")
        for bad in ["pg_instance_1", "1PG", "PG-INSTANCE", "PG INSTANCE", ""] {
            #expect(throws: ValidationError.self, "\(bad)") { try EnvironmentVariableName(bad, field: "x") }
        }
    }
}
