import QueryGateCore
import SlackGateway
import Testing

@Suite("The /query grammar")
struct QueryCommandTests {
    @Test func keywords() throws {
        #expect(try QueryCommand.parse("") == .openForm)
        #expect(try QueryCommand.parse("  help ") == .help)
        #expect(try QueryCommand.parse("list") == .list)
        #expect(try QueryCommand.parse("status 42") == .status(requestID: 42))
        #expect(try QueryCommand.parse("status #42") == .status(requestID: 42))
        #expect(try QueryCommand.parse("cancel 7") == .cancel(requestID: 7))
        #expect(try QueryCommand.parse("sync") == .sync(instance: nil))
        let pgMain = try InstanceName("pg-main")
        #expect(try QueryCommand.parse("sync pg-main") == .sync(instance: pgMain))
    }

    @Test func anInlineRequestWithAMultiLineQueryAndSlackEscapes() throws {
        let text = "pg-main/customer_db Ticket 4711: who signed up &amp; when ```sql\nSELECT id\nFROM customers\nWHERE id &lt; 10 AND note &lt;&gt; 'x'\n```"
        #expect(try QueryCommand.parse(text) == .submit(
            target: "pg-main/customer_db", type: .query, reason: "Ticket 4711: who signed up & when",
            query: "SELECT id\nFROM customers\nWHERE id < 10 AND note <> 'x'"))
    }

    @Test func aScript() throws {
        #expect(try QueryCommand.parse("script pg-main/customer_db fix ```UPDATE a SET b = 1; DELETE FROM c WHERE d;```") == .submit(
            target: "pg-main/customer_db", type: .script, reason: "fix", query: "UPDATE a SET b = 1; DELETE FROM c WHERE d;"))
    }

    @Test("Malformed commands are refused with a hint", arguments: [
        ("status", "id"), ("status x", "id"), ("cancel -1", "id"),
        ("selct * from x", "command"),
        ("sync pg-main extra", "instance"), ("sync PG_MAIN!", "instance"),
        ("pg-main/customer_db reason SELECT 1", "query"),
        ("pg-main/customer_db reason ```SELECT 1", "query"),
        ("pg-main/customer_db reason ```SELECT 1``` and more", "query"),
    ])
    func malformed(text: String, field: String) {
        #expect { try QueryCommand.parse(text) } throws: { ($0 as? ValidationError)?.field == field }
    }
}
