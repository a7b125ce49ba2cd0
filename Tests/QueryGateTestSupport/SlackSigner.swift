import Foundation
import QueryGateCore
import SlackStandIn

/// Signs request bodies exactly as Slack does, with the current time unless told otherwise.
public struct SlackSigner: Sendable {
    public static let signingSecret = "8f742231b10e8888abcd99yyyzzz85a5-test"
    /// Slack's side of the signature, not QueryGate's verifier: a test must not agree with the code it tests by construction.
    let signer = SlackRequestSigner(signingSecret: SlackSigner.signingSecret)

    public init() {}

    /// The two headers Slack sends with `body`.
    public func headers(for body: String, at date: Date = Date()) -> (timestamp: String, signature: String) {
        let timestamp = String(Int(date.timeIntervalSince1970))
        return (timestamp, signer.signature(timestamp: timestamp, body: Array(body.utf8)))
    }

    /// A slash command's form body.
    public static func slashCommandBody(text: String, user: String, channel: String = "C0DEV00001", triggerID: String = "1234.5678.abcdef") -> String {
        let fields = [
            ("token", "deprecated-verification-token"), ("team_id", "T0TEAM001"), ("channel_id", channel), ("user_id", user),
            ("command", "/query"), ("text", text), ("response_url", "https://hooks.slack.com/commands/T0TEAM001/1/x"),
            ("trigger_id", triggerID),
        ]
        return fields.map { "\($0.0)=\(formEncode($0.1))" }.joined(separator: "&")
    }

    /// An interaction's form body: `payload=<url-encoded JSON>`.
    public static func interactionBody(_ payload: JSONValue) -> String {
        "payload=" + formEncode(String(decoding: payload.encoded(), as: UTF8.self))
    }

    public static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return text.addingPercentEncoding(withAllowedCharacters: allowed)?.replacingOccurrences(of: "%20", with: "+") ?? text
    }
}
