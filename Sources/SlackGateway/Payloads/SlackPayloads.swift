import Foundation
import Logging
import QueryGateCore

/// A form body: field names to values, percent-decoded (`+` is a space), as Slack sends them.
///
/// This is the Slack side's door for text: bytes that are not UTF-8 (raw or percent-encoded) and text PostgreSQL
/// refuses (`InputText`) stop here, naming the field, before any of it is used.
enum FormBody {
    static func fields(_ body: [UInt8]) throws(ValidationError) -> [String: String] {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw ValidationError(field: "body", "is not UTF-8 text")
        }
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else { throw ValidationError(field: "body", "has a field name that is not UTF-8 text") }
            let value = parts.count > 1 ? parts[1] : ""
            guard let decoded = decode(value) else { throw ValidationError(field: name, "is not UTF-8 text once percent-decoded") }
            try InputText.check(name, field: "body")
            try InputText.check(decoded, field: name)
            fields[name] = decoded
        }
        return fields
    }

    /// `+` is a space and `%XX` a byte; `nil` for a `%` not followed by two hex digits, or bytes that are not
    /// UTF-8 once decoded. Byte by byte rather than through Foundation: every Slack request passes here.
    static func decode(_ text: Substring) -> String? {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                let high = utf8.index(after: index)
                guard high < utf8.endIndex, utf8.index(after: high) < utf8.endIndex,
                      let upper = hexValue(utf8[high]), let lower = hexValue(utf8[utf8.index(after: high)]) else { return nil }
                bytes.append(upper << 4 | lower)
                index = utf8.index(after: high)
            default:
                bytes.append(byte)
            }
            index = utf8.index(after: index)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A Slack conversation id: a channel (`C…`), an older private channel (`G…`) or a direct message (`D…`), which
/// is where a slash command may be typed and an ephemeral answer goes.
enum SlackConversationID {
    static func isValid(_ text: String) -> Bool {
        guard let first = text.first, "CGD".contains(first), (3...31).contains(text.count) else { return false }
        return text.dropFirst().allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
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
    /// A click in QueryGate's Home tab (which has no channel to answer in).
    let isFromHomeTab: Bool
    /// Where the payload holds text PostgreSQL refuses (the JSON keys leading to it), if anywhere: the routes
    /// answer that instead of acting on any of it.
    let unstorableTextPath: [String]?

    /// Nil unless the payload has a type and a Slack user id, and any channel it names is a Slack conversation id.
    init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue, let userID = json["user"]?["id"]?.stringValue,
              (try? SlackUserID(userID)) != nil
        else { return nil }
        self.type = type
        self.userID = userID
        triggerID = json["trigger_id"]?.stringValue
        channelID = json["channel"]?["id"]?.stringValue ?? json["container"]?["channel_id"]?.stringValue
        if let channelID, !SlackConversationID.isValid(channelID) { return nil }
        let action = json["actions"]?.arrayValue?.first
        actionID = action?["action_id"]?.stringValue ?? json["action_id"]?.stringValue
        actionValue = action?["value"]?.stringValue
        searchValue = json["value"]?.stringValue
        isFromHomeTab = json["view"]?["type"]?.stringValue == "home"
        callbackID = json["view"]?["callback_id"]?.stringValue
        values = json["view"]?["state"]?["values"]
        if let metadata = json["view"]?["private_metadata"]?.stringValue, case .object(let object)? = JSONValue.decode(Array(metadata.utf8)) {
            privateMetadata = object
        } else {
            privateMetadata = [:]
        }
        unstorableTextPath = json.pathToUnstorableText() ?? JSONValue.object(privateMetadata).pathToUnstorableText().map {
            ["view", "private_metadata"] + $0
        }
    }

    /// The value of a modal input: typed text, or the selected option's value.
    func input(block: String, action: String) -> String? {
        guard let element = values?[block]?[action] else { return nil }
        return element["value"]?.stringValue ?? element["selected_option"]?["value"]?.stringValue
    }
}

extension JSONValue {
    /// The keys leading to the first string (value or key) that PostgreSQL could not store, or nil when there is
    /// none. Array positions are written as their index.
    func pathToUnstorableText() -> [String]? {
        switch self {
        case .string(let text): return InputText.isStorable(text) ? nil : []
        case .number, .bool, .null: return nil
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let path = element.pathToUnstorableText() { return [String(index)] + path }
            }
            return nil
        case .object(let object):
            for (key, value) in object {
                guard InputText.isStorable(key) else { return [key] }
                if let path = value.pathToUnstorableText() { return [key] + path }
            }
            return nil
        }
    }
}
