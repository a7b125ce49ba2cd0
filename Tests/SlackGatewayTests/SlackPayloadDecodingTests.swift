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

/// Interaction payloads, as Slack posts them in the `payload` field.
@Suite("Decoding Slack's interaction payloads")
struct InteractionDecodingTests {
    static func interaction(_ name: String) throws -> Interaction {
        try Interaction.decode(payload: String(decoding: try SlackPayloadDecodingTests.fixture(name), as: UTF8.self))
    }

    @Test func aButtonClickDecodes() throws {
        let click = try Self.interaction("block_actions.json")
        #expect(click.kind == .blockActions)
        #expect(click.userID == "U0MGR0001")
        #expect(click.channelID == "C0APPROVE1")
        #expect(click.triggerID == "1234567890.0987654321.abcdef0123456789abcdef0123456789")
        #expect(click.actionID == ApprovalMessage.approveActionID)
        #expect(click.actionValue == "42")
        #expect(!click.isFromHomeTab)
        #expect(click.unstorableTextPath == nil)
    }

    @Test func aFormSubmissionDecodes() throws {
        let submission = try Self.interaction("view_submission.json")
        #expect(submission.kind == .viewSubmission)
        #expect(submission.userID == "U0DEV0001")
        #expect(submission.callbackID == Modals.newRequestCallbackID)
        #expect(submission.privateMetadata == ["channel_id": "C0DEV00001"])
        #expect(submission.input(block: "target", action: "target_select") == "pg-main/customer_db")
        #expect(submission.input(block: "query", action: "query_input") == "SELECT id, email FROM customers WHERE created_at > now() - interval '1 day'")
        #expect(submission.input(block: "reason", action: "reason_input") == "Support ticket 4711: list yesterday's sign-ups")
        #expect(submission.input(block: "type", action: "type_select") == nil)
        #expect(submission.channelID == nil)
    }

    @Test func aClosedFormDecodes() throws {
        let closed = try Self.interaction("view_closed.json")
        #expect(closed.kind == .viewClosed)
        #expect(closed.userID == "U0MGR0001")
        #expect(closed.callbackID == Modals.rejectCallbackID)
        #expect(closed.privateMetadata["request_id"] == .number(42))
        #expect(closed.input(block: "rejection", action: "rejection_input") == nil)
    }

    @Test func aPickersRequestForOptionsDecodes() throws {
        let suggestion = try Self.interaction("block_suggestion.json")
        #expect(suggestion.kind == .blockSuggestion)
        #expect(suggestion.userID == "U0DEV0001")
        #expect(suggestion.actionID == "target_select")
        #expect(suggestion.searchValue == "cust")
    }

    /// What Slack would never send is refused, as before: no type, no Slack user, a channel that is no
    /// conversation id, JSON that is not an object.
    @Test("A payload without a type or a Slack user is refused", arguments: [
        #"{"user":{"id":"U0DEV0001"}}"#, #"{"type":"block_actions"}"#, #"{"type":"block_actions","user":{"id":"nobody"}}"#,
        #"{"type":1,"user":{"id":"U0DEV0001"}}"#, #"{"type":"block_actions","user":{"id":"U0DEV0001"},"channel":{"id":"general"}}"#,
        #"[1]"#, #"{"#,
    ])
    func malformedPayloadsAreRefused(_ payload: String) {
        #expect(throws: (any Error).self) { try Interaction.decode(payload: payload) }
    }

    /// Any other field of the wrong type reads as missing, and the rest is still read.
    @Test func aFieldOfTheWrongTypeReadsAsMissing() throws {
        let payload = #"""
        {"type":"view_submission","user":{"id":"U0DEV0001"},"trigger_id":7,"channel":{"id":5},"container":{"channel_id":"C0DEV00001"},
         "actions":[{"action_id":"request.approve","value":42}],
         "view":{"callback_id":"request.new","private_metadata":"not json","state":{"values":{
           "query":{"query_input":{"value":1}},"reason":{"reason_input":{"value":"why"}},"type":[],"target":{"target_select":"x"}}}}}
        """#
        let interaction = try Interaction.decode(payload: payload)
        #expect(interaction.triggerID == nil)
        #expect(interaction.channelID == "C0DEV00001")
        #expect(interaction.actionID == "request.approve" && interaction.actionValue == nil)
        #expect(interaction.privateMetadata.isEmpty)
        #expect(interaction.input(block: "query", action: "query_input") == nil)
        #expect(interaction.input(block: "reason", action: "reason_input") == "why")
        #expect(interaction.input(block: "target", action: "target_select") == nil)
    }

    @Test func aNULAnywhereIsFoundWithItsPath() throws {
        let payload = #"{"type":"block_actions","user":{"id":"U0DEV0001"},"message":{"text":"a\u0000b"}}"#
        #expect(try Interaction.decode(payload: payload).unstorableTextPath == ["message", "text"])
        let hidden = #"{"type":"view_submission","user":{"id":"U0DEV0001"},"view":{"private_metadata":"{\"c\":\"\\u0000\"}"}}"#
        #expect(try Interaction.decode(payload: hidden).unstorableTextPath == ["view", "private_metadata", "c"])
    }
}
