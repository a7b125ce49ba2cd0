import Foundation
import Logging

/// A form body: field names to values, percent-decoded (`+` is a space), as Slack sends them.
enum FormBody {
    static func fields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return fields
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

/// An interaction payload (`payload=<json>`): a button click, a modal submission or close, or a picker's
/// request for options. Only what QueryGate reads is decoded.
struct Interaction: Sendable {
    let type: String
    let userID: String
    let triggerID: String?
    let channelID: String?
    let actionID: String?
    let actionValue: String?
    let callbackID: String?
    let privateMetadata: [String: JSONValue]
    let values: JSONValue?
    /// What was typed into an external select (`block_suggestion`).
    let searchValue: String?

    init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue, let userID = json["user"]?["id"]?.stringValue else { return nil }
        self.type = type
        self.userID = userID
        triggerID = json["trigger_id"]?.stringValue
        channelID = json["channel"]?["id"]?.stringValue ?? json["container"]?["channel_id"]?.stringValue
        let action = json["actions"]?.arrayValue?.first
        actionID = action?["action_id"]?.stringValue ?? json["action_id"]?.stringValue
        actionValue = action?["value"]?.stringValue
        searchValue = json["value"]?.stringValue
        callbackID = json["view"]?["callback_id"]?.stringValue
        values = json["view"]?["state"]?["values"]
        if let metadata = json["view"]?["private_metadata"]?.stringValue, case .object(let object)? = JSONValue.decode(Array(metadata.utf8)) {
            privateMetadata = object
        } else {
            privateMetadata = [:]
        }
    }

    /// The value of a modal input: typed text, or the selected option's value.
    func input(block: String, action: String) -> String? {
        guard let element = values?[block]?[action] else { return nil }
        return element["value"]?.stringValue ?? element["selected_option"]?["value"]?.stringValue
    }
}
