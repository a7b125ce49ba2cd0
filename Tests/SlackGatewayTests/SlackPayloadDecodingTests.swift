import Foundation
import QueryGateCore
import QueryGateTestSupport
@testable import SlackGateway
import Testing

/// What Slack sends (the fixtures under `Tests/Fixtures/Slack/`, shaped as Slack's documentation shows them)
/// decodes into QueryGate's models after the signature check.
@Suite("Decoding Slack's payloads")
struct SlackPayloadDecodingTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Repository.root.appendingPathComponent("Tests/Fixtures/Slack/\(name)")))
    }

    @Test func aSlashCommandDecodes() throws {
        let body = try Self.fixture("slash_command.form").filter { $0 != UInt8(ascii: "\n") }
        let command = try SlashCommand(form: body)
        #expect(command.userID == "U0DEV0001")
        #expect(command.channelID == "C0DEV00001")
        #expect(command.text == "help")
        #expect(command.command == "/query")
        #expect(command.teamID == "T0TEAM001")
        #expect(command.triggerID == "1234567890.0987654321.0123456789abcdef0123456789abcdef")
        #expect(command.responseURL == "https://hooks.slack.com/commands/T0TEAM001/2222222222/zyxwvutsrqponmlkjihgfedc")
        #expect(!command.isSSLCheck)
    }

    @Test func anSSLCheckDecodesWithNothingElse() throws {
        let command = try SlashCommand(form: Array("ssl_check=1&token=x".utf8))
        #expect(command.isSSLCheck)
        #expect(command.userID == nil && command.channelID == nil && command.text == nil)
    }

    @Test("What FormBody refuses the command refuses, naming the field", arguments: [
        ("text=a%00b", "text"), ("text=%zz", "text"), ("user_id=%FF", "user_id"), ("te%ZZxt=1", "body"),
    ])
    func refusedTextIsRefused(_ body: String, field: String) {
        #expect { try SlashCommand(form: Array(body.utf8)) } throws: { ($0 as? ValidationError)?.field == field }
    }
}
