import Foundation
import Logging
import PortalStore
import QueryGateCore

/// The modals QueryGate opens: the request form and the rejection reason.
public enum Modals {
    public static let newRequestCallbackID = "request.new"
    public static let rejectCallbackID = "request.reject"

    /// An input of a modal: its block's id (which `view_submission` errors name) and its element's action id (under
    /// which the submission carries its value).
    struct Field: Sendable, Equatable {
        let blockID: String
        let actionID: String

        static let target = Field(blockID: "target", actionID: "target_select")
        static let type = Field(blockID: "type", actionID: "type_select")
        static let query = Field(blockID: "query", actionID: "query_input")
        static let reason = Field(blockID: "reason", actionID: "reason_input")
        static let rejection = Field(blockID: "rejection", actionID: "rejection_input")
    }

    /// The form `/query` opens. `channelID` travels in `private_metadata`, so the confirmation can name it.
    public static func newRequest(channelID: String) -> JSONValue {
        [
            "type": "modal",
            "callback_id": .string(newRequestCallbackID),
            "private_metadata": .string(String(decoding: JSONValue.object(["channel_id": .string(channelID)]).encoded(), as: UTF8.self)),
            "title": ["type": "plain_text", "text": "New query request"],
            "submit": ["type": "plain_text", "text": "Submit"],
            "close": ["type": "plain_text", "text": "Cancel"],
            "blocks": [
                input(Field.target, label: "Target", element: [
                    "type": "external_select", "action_id": .string(Field.target.actionID), "min_query_length": 0,
                    "placeholder": ["type": "plain_text", "text": "instance/database"],
                ]),
                input(Field.type, label: "Kind", element: [
                    "type": "static_select", "action_id": .string(Field.type.actionID),
                    "initial_option": option("Query: one statement", "query"),
                    "options": [option("Query: one statement", "query"), option("Script: several statements, one transaction", "script")],
                ]),
                input(Field.query, label: "Query", element: [
                    "type": "plain_text_input", "action_id": .string(Field.query.actionID), "multiline": true,
                    "max_length": .number(Double(NewRequest.maximumQueryLength)),
                    "placeholder": ["type": "plain_text", "text": "SELECT … (SQL) or db.collection.find(…) (MongoDB)"],
                ]),
                input(Field.reason, label: "Reason", element: [
                    "type": "plain_text_input", "action_id": .string(Field.reason.actionID), "multiline": true,
                    "max_length": .number(Double(NewRequest.maximumReasonLength)),
                    "placeholder": ["type": "plain_text", "text": "Why you need this (approvers decide on it)"],
                ]),
            ],
        ]
    }

    /// What the form turns into once the request is recorded.
    public static func submitted(_ submitted: PortalStore.Submitted) -> JSONValue {
        [
            "type": "modal",
            "title": ["type": "plain_text", "text": "Request submitted"],
            "close": ["type": "plain_text", "text": "Done"],
            "blocks": [Blocks.section(Replies.submitted(submitted))],
        ]
    }

    /// The rejection form: the reason is required, because the requester reads it.
    public static func reject(requestID: Int, channelID: String) -> JSONValue {
        let metadata = JSONValue.object(["request_id": .number(Double(requestID)), "channel_id": .string(channelID)])
        return [
            "type": "modal",
            "callback_id": .string(rejectCallbackID),
            "private_metadata": .string(String(decoding: metadata.encoded(), as: UTF8.self)),
            "title": ["type": "plain_text", "text": .string("Reject request #\(requestID)")],
            "submit": ["type": "plain_text", "text": "Reject"],
            "close": ["type": "plain_text", "text": "Cancel"],
            "blocks": [
                input(Field.rejection, label: "Why? The requester reads this.", element: [
                    "type": "plain_text_input", "action_id": .string(Field.rejection.actionID), "multiline": true,
                    "max_length": .number(Double(NewRequest.maximumReasonLength)),
                ]),
            ],
        ]
    }

    /// The most options Slack shows in an external select.
    public static let maximumOptions = 100

    /// Options for the target picker (`block_suggestion`): at most `maximumOptions`.
    public static func targetOptions(_ targets: [TargetDatabase]) -> JSONValue {
        ["options": .array(targets.prefix(maximumOptions).map { target in
            option(Blocks.fit("\(target.instanceName) / \(target.name) (\(target.instanceType.rawValue))", 75), target.path)
        })]
    }

    static func input(_ field: Field, label: String, element: JSONValue) -> JSONValue {
        ["type": "input", "block_id": .string(field.blockID), "label": ["type": "plain_text", "text": .string(label)], "element": element]
    }

    static func option(_ text: String, _ value: String) -> JSONValue {
        ["text": ["type": "plain_text", "text": .string(text)], "value": .string(value)]
    }
}
