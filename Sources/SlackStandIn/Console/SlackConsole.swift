import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import QueryGateCore

/// What the console's page asks for, done as Slack would do it: a slash command, a click, a picker's search, a
/// modal's submission, opening the Home tab, each sent to QueryGate's real Slack endpoints with Slack's payload shapes and signed
/// with the signing secret, and QueryGate's answer put where Slack puts it (an ephemeral, a modal's errors…).
public struct SlackConsole: Sendable {
    public let workspace: SlackWorkspace
    /// QueryGate's own address, where `/slack/commands` and `/slack/interactions` are.
    let gatewayURL: String
    let signer: SlackRequestSigner
    let client: HTTPClient
    let logger: Logger

    public init(workspace: SlackWorkspace, gatewayURL: String, signingSecret: String, client: HTTPClient = .shared, logger: Logger) {
        self.workspace = workspace
        self.gatewayURL = gatewayURL
        self.signer = SlackRequestSigner(signingSecret: signingSecret)
        self.client = client
        self.logger = logger
    }

    /// What the console shows when something did not go as in Slack.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `/query <text>` typed by `user` in `channel`. QueryGate's HTTP answer is the ephemeral Slack shows.
    public func command(_ text: String, as user: String, in channel: String) async throws {
        let trigger = await workspace.makeTrigger(for: user)
        let fields = [
            ("token", "unused-verification-token"), ("team_id", "T0DEMO001"), ("team_domain", "querygate-demo"), ("channel_id", channel),
            ("user_id", user), ("command", "/query"), ("text", text), ("api_app_id", "A0DEMO001"),
            ("response_url", "\(gatewayURL)/console/unused-response-url"), ("trigger_id", trigger),
        ]
        let body = fields.map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
        let answer = try await send("/slack/commands", body: body, what: "/query")
        guard let reply = answer else { return }
        await workspace.addEphemeral(user: user, channel: channel, text: reply["text"]?.stringValue ?? "", blocks: reply["blocks"])
    }

    /// A click on a button of the message `ts` in `channel`.
    public func click(actionID: String, value: String?, blockID: String?, message ts: String, in channel: String, as user: String) async throws {
        var payload = await clickPayload(actionID: actionID, value: value, blockID: blockID, as: user)
        payload["container"] = ["type": "message", "message_ts": .string(ts), "channel_id": .string(channel)]
        payload["channel"] = ["id": .string(channel)]
        _ = try await send("/slack/interactions", body: Self.interactionBody(.object(payload)), what: "the click")
    }

    /// A click on a button of `user`'s Home tab: Slack sends the view it sits in, and no channel.
    public func clickInHome(actionID: String, value: String?, blockID: String?, as user: String) async throws {
        guard let home = await workspace.home(for: user) else { throw Failure(description: "the Home tab has not been published") }
        var payload = await clickPayload(actionID: actionID, value: value, blockID: blockID, as: user)
        payload["container"] = ["type": "view", "view_id": .string(home.id)]
        payload["view"] = ["id": .string(home.id), "type": "home", "blocks": home.view["blocks"] ?? []]
        _ = try await send("/slack/interactions", body: Self.interactionBody(.object(payload)), what: "the click")
    }

    private func clickPayload(actionID: String, value: String?, blockID: String?, as user: String) async -> [String: JSONValue] {
        var action: [String: JSONValue] = ["action_id": .string(actionID), "type": "button", "action_ts": .string(Self.now)]
        if let value { action["value"] = .string(value) }
        if let blockID { action["block_id"] = .string(blockID) }
        return [
            "type": "block_actions", "user": ["id": .string(user)], "api_app_id": "A0DEMO001", "team": ["id": "T0DEMO001"],
            "trigger_id": .string(await workspace.makeTrigger(for: user)), "actions": [.object(action)],
        ]
    }

    /// `user` opens QueryGate's Home tab: Slack sends the `app_home_opened` event (QueryGate publishes the tab through
    /// its outbox, so it appears a moment later).
    public func openHome(as user: String) async throws {
        let event: JSONValue = [
            "token": "unused-verification-token", "team_id": "T0DEMO001", "api_app_id": "A0DEMO001", "type": "event_callback",
            "event_id": .string("Ev0" + UUID().uuidString.prefix(8).uppercased()), "event_time": .number(Date().timeIntervalSince1970.rounded()),
            "event": ["type": "app_home_opened", "user": .string(user), "channel": .string(SlackWorkspace.directChannel(of: user)),
                      "tab": "home", "event_ts": .string(Self.now)],
        ]
        _ = try await send("/slack/events", body: String(decoding: event.encoded(), as: UTF8.self), what: "opening the Home tab",
                           contentType: "application/json")
    }

    /// The options of an external select in `user`'s open modal, for what they typed (`block_suggestion`).
    public func suggestions(actionID: String, blockID: String, typed: String, as user: String) async throws -> JSONValue {
        guard let modal = await workspace.modal(for: user) else { throw Failure(description: "no modal is open") }
        let payload: JSONValue = [
            "type": "block_suggestion", "user": ["id": .string(user)], "team": ["id": "T0DEMO001"], "action_id": .string(actionID),
            "block_id": .string(blockID), "value": .string(typed), "view": viewPayload(modal, values: [:]),
        ]
        return try await send("/slack/interactions", body: Self.interactionBody(payload), what: "the picker") ?? ["options": []]
    }

    /// The submission of `user`'s open modal with `values` in Slack's `state.values` shape. QueryGate's answer
    /// decides what happens to the modal: errors under fields, a new view, or closed.
    public func submit(values: JSONValue, as user: String) async throws {
        guard let modal = await workspace.modal(for: user) else { throw Failure(description: "no modal is open") }
        let payload: JSONValue = [
            "type": "view_submission", "user": ["id": .string(user)], "team": ["id": "T0DEMO001"],
            "trigger_id": .string(await workspace.makeTrigger(for: user)), "view": viewPayload(modal, values: values),
        ]
        let answer = try await send("/slack/interactions", body: Self.interactionBody(payload), what: "the form")
        switch answer?["response_action"]?.stringValue {
        case "errors":
            guard case .object(let errors)? = answer?["errors"] else { return }
            await workspace.setModalErrors(for: user, errors.compactMapValues(\.stringValue))
        case "update", "push":
            if let view = answer?["view"] { await workspace.replaceModal(for: user, view: view) }
        default:
            await workspace.closeModal(for: user)  // "clear", or an empty 200: Slack closes the modal
        }
    }

    private func viewPayload(_ modal: StandInModal, values: JSONValue) -> JSONValue {
        [
            "id": .string(modal.id), "type": "modal", "callback_id": modal.view["callback_id"] ?? "",
            "private_metadata": modal.view["private_metadata"] ?? "", "state": ["values": values],
        ]
    }

    /// POSTs a signed form body to QueryGate; returns its JSON answer (nil for an empty 200).
    private func send(
        _ path: String, body: String, what: String, contentType: String = "application/x-www-form-urlencoded"
    ) async throws -> JSONValue? {
        let timestamp = String(Int(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: gatewayURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "X-Slack-Request-Timestamp", value: timestamp)
        request.headers.add(name: "X-Slack-Signature", value: signer.signature(timestamp: timestamp, body: Array(body.utf8)))
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(10), logger: logger)
        let bytes = try await response.body.collect(upTo: 4 * 1024 * 1024)
        guard response.status.code == 200 else {
            let detail = "QueryGate answered \(what) with HTTP \(response.status.code): \(String(buffer: bytes).prefix(300))"
            await workspace.recordRefusal(path, detail)
            throw Failure(description: detail)
        }
        if bytes.readableBytes == 0 { return nil }
        guard let json = JSONValue.decode(bytes.readableBytesView) else {
            // Slack shows a plain-text answer to a slash command as the ephemeral text.
            return ["text": .string(String(buffer: bytes))]
        }
        return json
    }

    static var now: String { String(format: "%.6f", Date().timeIntervalSince1970) }

    static func interactionBody(_ payload: JSONValue) -> String {
        "payload=" + formEncode(String(decoding: payload.encoded(), as: UTF8.self))
    }

    static func formEncode(_ text: String) -> String {
        // ASCII only: `CharacterSet.alphanumerics` would let letters such as é through unencoded.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
