import Foundation
import Logging
import QueryGateCore

/// A form body: field names to values, percent-decoded (`+` is a space), as Slack sends them.
///
/// This is the Slack side's door for text: bytes that are not UTF-8 (raw or percent-encoded) and text PostgreSQL
/// refuses (`InputText`) stop here, naming the field, before any of it is used.
enum FormBody {
    /// Read byte by byte, as the form's grammar is written (fields split at `&`, names at the first `=`): every
    /// Slack request passes here, and splitting a `String` walks it by grapheme, 5% of a submission's CPU.
    static func fields(_ body: [UInt8]) throws(ValidationError) -> [String: String] {
        guard String(validating: body, as: UTF8.self) != nil else {
            throw ValidationError(field: "body", "is not UTF-8 text")
        }
        var fields: [String: String] = [:]
        for pair in body.split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            guard let name = decode(pair[..<(equals ?? pair.endIndex)]) else {
                throw ValidationError(field: "body", "has a field name that is not UTF-8 text")
            }
            guard let decoded = decode(equals.map { pair[pair.index(after: $0)...] } ?? []) else {
                throw ValidationError(field: name, "is not UTF-8 text once percent-decoded")
            }
            try InputText.check(name, field: "body")
            try InputText.check(decoded, field: name)
            fields[name] = decoded
        }
        return fields
    }

    /// `+` is a space and `%XX` a byte; `nil` for a `%` not followed by two hex digits, or bytes that are not
    /// UTF-8 once decoded.
    static func decode(_ utf8: ArraySlice<UInt8>) -> String? {
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(validating: utf8, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index + 2 < utf8.endIndex, let upper = hexValue(utf8[index + 1]), let lower = hexValue(utf8[index + 2]) else {
                    return nil
                }
                bytes.append(upper << 4 | lower)
                index += 2
            default:
                bytes.append(byte)
            }
            index += 1
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
/// request for options (https://api.slack.com/reference/interaction-payloads), decoded after the signature check
/// with `JSONDecoder`. Only what QueryGate reads is decoded.
///
/// The payload must have a type and a Slack user id, and any channel it names must be a Slack conversation id
/// (otherwise decoding fails, and the route answers 400). Every other field is read as a look-up in the JSON
/// would read it: one that is missing, `null` or of another type is nil, and the rest of the payload is still
/// read, so a hostile field is answered as an empty one (a form's field error, no options…), not with a 400.
struct Interaction: Sendable, Decodable {
    enum Kind: Sendable, Equatable {
        case blockActions, viewSubmission, viewClosed, blockSuggestion
        /// Anything Slack adds later: acknowledged, nothing done.
        case other(String)

        init(_ type: String) {
            switch type {
            case "block_actions": self = .blockActions
            case "view_submission": self = .viewSubmission
            case "view_closed": self = .viewClosed
            case "block_suggestion": self = .blockSuggestion
            default: self = .other(type)
            }
        }
    }

    /// The first of a click's `actions` (Slack sends one per click).
    struct Action: Sendable, Decodable {
        let actionID: String?
        let value: String?

        enum CodingKeys: String, CodingKey {
            case actionID = "action_id"
            case value
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            actionID = container.lenient(String.self, forKey: .actionID)
            value = container.lenient(String.self, forKey: .value)
        }
    }

    /// The modal or Home tab the interaction came from.
    struct View: Sendable, Decodable {
        let type: String?
        let callbackID: String?
        /// QueryGate's own JSON object, carried through the modal as a string; empty when it is not one.
        let privateMetadata: [String: JSONValue]
        /// A form's inputs, by block id and then action id.
        let values: [String: [String: ModalInput]]

        enum CodingKeys: String, CodingKey {
            case type
            case callbackID = "callback_id"
            case privateMetadata = "private_metadata"
            case state
        }

        enum StateKeys: String, CodingKey { case values }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = container.lenient(String.self, forKey: .type)
            callbackID = container.lenient(String.self, forKey: .callbackID)
            if let metadata = container.lenient(String.self, forKey: .privateMetadata), case .object(let object)? = JSONValue.decode(Array(metadata.utf8)) {
                privateMetadata = object
            } else {
                privateMetadata = [:]
            }
            // Block by block and input by input, so that one malformed input leaves the others readable.
            var values: [String: [String: ModalInput]] = [:]
            if let state = try? container.nestedContainer(keyedBy: StateKeys.self, forKey: .state),
               let blocks = try? state.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .values)
            {
                for block in blocks.allKeys {
                    guard let inputs = try? blocks.nestedContainer(keyedBy: AnyCodingKey.self, forKey: block) else { continue }
                    for action in inputs.allKeys {
                        if let input = try? inputs.decode(ModalInput.self, forKey: action) { values[block.stringValue, default: [:]][action.stringValue] = input }
                    }
                }
            }
            self.values = values
        }
    }

    /// One input of a modal's state: typed text, or a select's chosen option.
    struct ModalInput: Sendable, Decodable {
        let value: String?
        let selectedOption: String?

        enum CodingKeys: String, CodingKey {
            case value
            case selectedOption = "selected_option"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            value = container.lenient(String.self, forKey: .value)
            selectedOption = (try? container.nestedContainer(keyedBy: CodingKeys.self, forKey: .selectedOption))?.lenient(String.self, forKey: .value)
        }
    }

    let kind: Kind
    let userID: String
    let triggerID: String?
    let channelID: String?
    let actionID: String?
    let actionValue: String?
    /// What was typed into an external select (`block_suggestion`).
    let searchValue: String?
    let view: View?
    /// Where the payload holds text PostgreSQL refuses (the JSON keys leading to it), if anywhere: the routes
    /// answer that instead of acting on any of it.
    let unstorableTextPath: [String]?

    var callbackID: String? { view?.callbackID }
    var privateMetadata: [String: JSONValue] { view?.privateMetadata ?? [:] }
    /// A click in QueryGate's Home tab (which has no channel to answer in).
    var isFromHomeTab: Bool { view?.type == "home" }

    enum CodingKeys: String, CodingKey {
        case type, user, channel, container, actions, value, view
        case triggerID = "trigger_id"
        case actionID = "action_id"
    }

    private struct UserRef: Decodable { let id: String }
    private struct ChannelRef: Decodable {
        let id: String?
        enum CodingKeys: String, CodingKey { case id }
        init(from decoder: any Decoder) throws { id = try decoder.container(keyedBy: CodingKeys.self).lenient(String.self, forKey: .id) }
    }
    private struct ContainerRef: Decodable {
        let channelID: String?
        enum CodingKeys: String, CodingKey { case channelID = "channel_id" }
        init(from decoder: any Decoder) throws { channelID = try decoder.container(keyedBy: CodingKeys.self).lenient(String.self, forKey: .channelID) }
    }

    init(from decoder: any Decoder) throws {
        // The whole payload too, for the check of its text: a NUL anywhere in it, read by QueryGate or not, is
        // refused. The same parsed document is read twice, not the bytes.
        let whole = try JSONValue(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = Kind(try container.decode(String.self, forKey: .type))
        userID = try container.decode(UserRef.self, forKey: .user).id
        guard (try? SlackUserID(userID)) != nil else {
            throw DecodingError.dataCorruptedError(forKey: .user, in: container, debugDescription: "not a Slack user id")
        }
        triggerID = container.lenient(String.self, forKey: .triggerID)
        channelID = container.lenient(ChannelRef.self, forKey: .channel)?.id ?? container.lenient(ContainerRef.self, forKey: .container)?.channelID
        if let channelID, !SlackConversationID.isValid(channelID) {
            throw DecodingError.dataCorruptedError(forKey: .channel, in: container, debugDescription: "not a Slack conversation id")
        }
        var action: Action? = nil
        if var actions = try? container.nestedUnkeyedContainer(forKey: .actions), !actions.isAtEnd {
            action = try? actions.decode(Action.self)
        }
        actionID = action?.actionID ?? container.lenient(String.self, forKey: .actionID)
        actionValue = action?.value
        searchValue = container.lenient(String.self, forKey: .value)
        view = container.lenient(View.self, forKey: .view)
        let metadata = view?.privateMetadata ?? [:]
        unstorableTextPath = whole.pathToUnstorableText() ?? JSONValue.object(metadata).pathToUnstorableText().map {
            ["view", "private_metadata"] + $0
        }
    }

    /// Decodes the JSON of a `payload` field.
    static func decode(payload: String) throws -> Interaction {
        try JSONDecoder().decode(Interaction.self, from: Data(payload.utf8))
    }

    /// The value of one of QueryGate's modal inputs.
    func input(_ field: Modals.Field) -> String? { input(block: field.blockID, action: field.actionID) }

    /// The value of a modal input: typed text, or the selected option's value.
    func input(block: String, action: String) -> String? {
        guard let input = view?.values[block]?[action] else { return nil }
        return input.value ?? input.selectedOption
    }
}

/// Any JSON object key, for objects whose keys are data (a modal's block and action ids).
struct AnyCodingKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer {
    /// The value at `key` when it is there and of type `T`; nil when it is missing, `null` or of another type, as
    /// a look-up in the JSON reads it.
    func lenient<T: Decodable>(_ type: T.Type, forKey key: Key) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
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
