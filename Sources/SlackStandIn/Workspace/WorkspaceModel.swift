import Foundation
import QueryGateCore

/// What the stand-in's workspace holds, in the shapes the console shows: the people who can act, channels and
/// direct-message conversations with their messages, what only one person sees (ephemerals, an open modal), and
/// uploaded files.
public struct StandInPerson: Sendable, Codable, Equatable {
    public let id: String
    public let name: String
    /// What they are in the demo ("developer", "manager of shop"…), shown beside the name.
    public let title: String

    public init(id: String, name: String, title: String) {
        self.id = id
        self.name = name
        self.title = title
    }
}

public struct StandInChannel: Sendable, Codable, Equatable {
    public let id: String
    public let name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// A message as Slack stores it: `ts` is its id in the channel, `threadTS` the parent's when it is a reply.
public struct StandInMessage: Sendable, Codable {
    public let channel: String
    public let ts: String
    public var text: String
    public var blocks: JSONValue?
    public let threadTS: String?
    /// Ids of the files shared with the message (`files.completeUploadExternal`).
    public var files: [String]
    public var edited: Bool
}

/// A message only `user` sees, as `chat.postEphemeral` or a slash command's answer leaves it.
public struct StandInEphemeral: Sendable, Codable {
    public let user: String
    public let channel: String
    public let ts: String
    public let text: String
    public let blocks: JSONValue?
}

/// The modal open for a person: the view QueryGate sent, and the field errors of the last submission.
public struct StandInModal: Sendable, Codable {
    public let id: String
    public var view: JSONValue
    public var errors: [String: String]
}

public struct StandInFile: Sendable, Codable {
    public let id: String
    public let name: String
    public var title: String
    /// Nil until the bytes have been posted to the upload URL.
    public var size: Int?
    public var channel: String?
    public var threadTS: String?
}

/// A call the stand-in refused because Slack would have, or one it answered oddly on purpose, kept so the
/// console can show it and the tests can assert on it.
public struct StandInCall: Sendable {
    public let method: String
    public let arguments: JSONValue
    /// What the stand-in answered: `ok`, an error code, `429` or `500`.
    public let outcome: String
    /// Why it was refused, when it was.
    public let detail: String?
}

/// What a scripted call does instead of being answered normally (tests of retries and back-off).
public enum StandInBehavior: Sendable {
    case rateLimited(retryAfter: Int)
    case serverError
    case error(String)
}

/// The stand-in's answer to one Web API call, before it becomes an HTTP response.
public struct StandInReply: Sendable {
    public let status: Int
    public let retryAfter: Int?
    public let body: JSONValue?
}
