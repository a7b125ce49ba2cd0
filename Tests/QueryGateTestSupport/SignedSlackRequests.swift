import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import QueryGateCore
import SlackGateway

/// Requests from "Slack", signed exactly as Slack signs them, to whichever app a harness serves: `AppHarness` (on
/// PostgreSQL) and `MemorySlackHarness` (on the twins) send the same commands, clicks and forms.
public protocol SignedSlackRequests: Sendable {
    var client: any TestClientProtocol { get }
    var signer: SlackSigner { get }
}

extension SignedSlackRequests {
    /// POSTs `body` to `path`, signed (unless `headers` says otherwise).
    public func post(_ path: String, body: String, headers: HTTPFields? = nil) async throws -> TestResponse {
        let signed = signer.headers(for: body)
        let fields = headers ?? [
            SlackHeaders.timestamp: signed.timestamp, SlackHeaders.signature: signed.signature,
            .contentType: "application/x-www-form-urlencoded",
        ]
        return try await client.execute(uri: path, method: .post, headers: fields, body: ByteBuffer(string: body))
    }

    /// `/query <text>` typed by `user`; returns the JSON reply (nil for an empty 200).
    public func command(_ text: String, as user: String, triggerID: String = "1234.5678.abcdef") async throws -> (TestResponse, JSONValue?) {
        let response = try await post("/slack/commands", body: SlackSigner.slashCommandBody(text: text, user: user, triggerID: triggerID))
        return (response, JSONValue.decode(response.body.readableBytesView))
    }

    /// The text of the ephemeral reply to `/query <text>`.
    public func reply(_ text: String, as user: String) async throws -> String {
        let (_, json) = try await command(text, as: user)
        return json?["text"]?.stringValue ?? ""
    }

    /// Submits `query` on pg-main/customer_db as `user` and returns the new request's id.
    public func submit(_ query: String = "SELECT count(*) FROM customers", reason: String = "Ticket 4711", as user: String = Organisation.SlackIDs.dev) async throws -> Int {
        let text = try await reply("pg-main/customer_db \(reason) ```\(query)```", as: user)
        guard let range = text.range(of: "*#"), let id = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
            throw HarnessError("submission failed: \(text)")
        }
        return id
    }

    /// A click on a button of request `id`'s approval message.
    public func click(_ actionID: String, request id: Int, as user: String) async throws -> TestResponse {
        let payload: JSONValue = [
            "type": "block_actions", "user": ["id": .string(user)], "trigger_id": "9999.8888.click",
            "channel": ["id": "C0PAYMENTS"], "container": ["type": "message", "channel_id": "C0PAYMENTS"],
            "actions": [["action_id": .string(actionID), "value": .string(String(id)), "type": "button"]],
        ]
        return try await post("/slack/interactions", body: SlackSigner.interactionBody(payload))
    }

    /// A modal submission with the given `callback_id`, state values and private metadata.
    public func submitView(_ callbackID: String, values: JSONValue, metadata: JSONValue = [:], as user: String) async throws -> JSONValue? {
        let payload: JSONValue = [
            "type": "view_submission", "user": ["id": .string(user)], "trigger_id": "7777.6666.view",
            "view": ["id": "V0VIEW0001", "callback_id": .string(callbackID), "state": ["values": values],
                     "private_metadata": .string(String(decoding: metadata.encoded(), as: UTF8.self))],
        ]
        let response = try await post("/slack/interactions", body: SlackSigner.interactionBody(payload))
        return JSONValue.decode(response.body.readableBytesView)
    }
}
