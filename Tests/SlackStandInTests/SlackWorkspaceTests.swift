import QueryGateCore
import SlackGateway
import SlackStandIn
import Testing

/// The stand-in answers as Slack's Web API does: its reply shapes, its refusals, and Block Kit's limits.
@Suite("The Slack stand-in's Web API")
struct SlackWorkspaceTests {
    static let token = "xoxb-stand-in-test"
    static let channel = StandInChannel(id: "C0CHANNEL1", name: "approvals")
    static let person = StandInPerson(id: "U0PERSON01", name: "Pat", title: "developer")

    func workspace() -> SlackWorkspace {
        SlackWorkspace(botToken: Self.token, baseURL: "http://127.0.0.1:1", people: [Self.person], channels: [Self.channel])
    }

    func call(_ workspace: SlackWorkspace, _ method: String, _ arguments: JSONValue, form: Bool = false, token: String = token) async -> JSONValue {
        await workspace.answer(method: method, arguments: arguments, authorization: "Bearer \(token)", isForm: form).body ?? .null
    }

    @Test("A message Slack would refuse is refused with Slack's error and recorded with why")
    func blockKitLimits() async {
        let workspace = workspace()
        let tooMany = JSONValue.array(Array(repeating: ["type": "divider"], count: 51))
        #expect(await call(workspace, "chat.postMessage", ["channel": "C0CHANNEL1", "blocks": tooMany])["error"] == "invalid_blocks")
        let header: JSONValue = ["type": "header", "text": ["type": "plain_text", "text": .string(String(repeating: "h", count: 151))]]
        #expect(await call(workspace, "chat.postMessage", ["channel": "C0CHANNEL1", "blocks": [header]])["error"] == "invalid_blocks")
        let longText = String(repeating: "x", count: 40_001)
        #expect(await call(workspace, "chat.postMessage", ["channel": "C0CHANNEL1", "text": .string(longText)])["error"] == "msg_too_long")
        let refusals = await workspace.refusals.map { $0.detail ?? "" }
        #expect(refusals == ["51 blocks (limit 50)", "header of 151 characters (limit 150)", "text of 40001 characters (limit 40000)"])
        #expect(await workspace.messages(in: "C0CHANNEL1").isEmpty)
    }

    /// Slack wants an `action_id` unique within its block: the same one in two blocks is how a list of requests gives
    /// each its own Approve button.
    @Test("An action id may repeat across blocks, not within one")
    func actionIDsAreUniquePerBlock() {
        func actions(_ id: String, _ ids: [String]) -> JSONValue {
            ["type": "actions", "block_id": .string(id), "elements": .array(ids.map {
                ["type": "button", "text": ["type": "plain_text", "text": "Approve"], "action_id": .string($0), "value": "1"]
            })]
        }
        let two = ["view": ["type": "home", "blocks": [actions("a", ["request.approve"]), actions("b", ["request.approve"])]]] as JSONValue
        #expect(BlockKitLimits.problem(method: "views.publish", arguments: two) == nil)
        let twice = ["blocks": [actions("a", ["request.approve", "request.approve"])]] as JSONValue
        #expect(BlockKitLimits.problem(method: "chat.postMessage", arguments: twice)?.detail == "duplicate action_id request.approve")
    }

    @Test("A Home tab is published whole for a member, keeps its view id, and is held to a view's 100 blocks")
    func homeTabs() async throws {
        let workspace = workspace()
        let view: JSONValue = ["type": "home", "blocks": [["type": "section", "text": ["type": "mrkdwn", "text": "hi"]]]]
        let first = await call(workspace, "views.publish", ["user_id": "U0PERSON01", "view": view])
        let id = try #require(first["view"]?["id"]?.stringValue)
        let again = await call(workspace, "views.publish", ["user_id": "U0PERSON01", "view": ["type": "home", "blocks": []]])
        #expect(again["view"]?["id"]?.stringValue == id)
        #expect(await workspace.home(for: "U0PERSON01")?.view["blocks"]?.arrayValue?.isEmpty == true, "a publish replaces the tab whole")
        #expect(await call(workspace, "views.publish", ["user_id": "U0NOBODY01", "view": view])["error"] == "user_not_found")
        #expect(await call(workspace, "views.publish", ["user_id": "U0PERSON01", "view": ["type": "modal", "blocks": []]])["error"] == "invalid_arguments")
        let tooMany = JSONValue.array(Array(repeating: ["type": "divider"], count: 101))
        #expect(await call(workspace, "views.publish", ["user_id": "U0PERSON01", "view": ["type": "home", "blocks": tooMany]])["error"] == "invalid_blocks")
        #expect(await workspace.home(for: "U0PERSON01")?.view["blocks"]?.arrayValue?.isEmpty == true, "a refused view changed the tab")
    }

    @Test("Wrong token, unknown channel, unknown message: Slack's error codes, nothing stored")
    func refusals() async {
        let workspace = workspace()
        #expect(await call(workspace, "chat.postMessage", ["channel": "C0CHANNEL1", "text": "hi"], token: "xoxb-other")["error"] == "invalid_auth")
        #expect(await call(workspace, "chat.postMessage", ["channel": "C0NOWHERE1", "text": "hi"])["error"] == "channel_not_found")
        #expect(await call(workspace, "chat.update", ["channel": "C0CHANNEL1", "ts": "1.000001", "text": "hi"])["error"] == "message_not_found")
        #expect(await call(workspace, "chat.postMessage", ["channel": "C0CHANNEL1"])["error"] == "no_text")
        #expect(await workspace.messages(in: "C0CHANNEL1").isEmpty)
    }

    @Test("Messages, updates, thread replies and direct messages land where Slack shows them")
    func messages() async throws {
        let workspace = workspace()
        let posted = await call(workspace, "chat.postMessage", ["channel": "C0CHANNEL1", "text": "parent"])
        let ts = try #require(posted["ts"]?.stringValue)
        #expect(posted["ok"] == true && posted["channel"] == "C0CHANNEL1")
        #expect(await call(workspace, "chat.update", ["channel": "C0CHANNEL1", "ts": .string(ts), "text": "edited"])["ok"] == true)
        #expect(await call(workspace, "chat.postMessage", ["channel": "C0CHANNEL1", "thread_ts": .string(ts), "text": "reply"])["ok"] == true)
        #expect(await call(workspace, "chat.postMessage", ["channel": "C0CHANNEL1", "thread_ts": "9.000009", "text": "lost"])["error"] == "thread_not_found")
        let messages = await workspace.messages(in: "C0CHANNEL1")
        #expect(messages.map(\.text) == ["edited", "reply"])
        #expect(messages[0].edited && messages[1].threadTS == ts)
        let direct = try #require(await call(workspace, "conversations.open", ["users": "U0PERSON01"])["channel"]?["id"]?.stringValue)
        #expect(await call(workspace, "chat.postMessage", ["channel": .string(direct), "text": "to Pat"])["ok"] == true)
        #expect(await workspace.messages(in: direct).map(\.text) == ["to Pat"])
    }

    @Test("A modal opens once per trigger id, for the person the trigger belongs to")
    func triggers() async {
        let workspace = workspace()
        let view: JSONValue = ["type": "modal", "title": ["type": "plain_text", "text": "Form"], "blocks": []]
        #expect(await call(workspace, "views.open", ["trigger_id": "made.up", "view": view])["error"] == "invalid_trigger_id")
        let trigger = await workspace.makeTrigger(for: "U0PERSON01")
        let opened = await call(workspace, "views.open", ["trigger_id": .string(trigger), "view": view])
        #expect(opened["ok"] == true)
        #expect(await workspace.modal(for: "U0PERSON01")?.id == opened["view"]?["id"]?.stringValue)
        #expect(await call(workspace, "views.open", ["trigger_id": .string(trigger), "view": view])["error"] == "invalid_trigger_id")
    }

    @Test("Files: the upload URL needs a form body, and only uploaded bytes can be shared, in the thread named")
    func files() async throws {
        let workspace = workspace()
        let parent = try #require(await call(workspace, "chat.postMessage", ["channel": "C0CHANNEL1", "text": "parent"])["ts"]?.stringValue)
        #expect(await call(workspace, "files.getUploadURLExternal", ["filename": "r.csv", "length": "3"])["error"] == "invalid_arguments")
        let ticket = await call(workspace, "files.getUploadURLExternal", ["filename": "r.csv", "length": "3"], form: true)
        let id = try #require(ticket["file_id"]?.stringValue)
        #expect(ticket["upload_url"]?.stringValue?.hasSuffix("/standin/upload/\(id)") == true)
        let share: JSONValue = ["files": [["id": .string(id), "title": "Result"]], "channel_id": "C0CHANNEL1", "thread_ts": .string(parent)]
        #expect(await call(workspace, "files.completeUploadExternal", share)["error"] == "file_not_found")
        #expect(await workspace.storeUpload(id: id, bytes: Array("a,b".utf8)))
        #expect(await call(workspace, "files.completeUploadExternal", share)["ok"] == true)
        let reply = try #require(await workspace.messages(in: "C0CHANNEL1").last)
        #expect(reply.threadTS == parent && reply.files == [id])
        let (file, bytes) = try #require(await workspace.file(id))
        #expect(file.title == "Result" && bytes == Array("a,b".utf8))
    }
}
