import Foundation
import NIOCore
import QueryGateCore

/// The Web API methods QueryGate calls, by name in one place (https://api.slack.com/methods).
public enum SlackMethod: String, Sendable {
    case postMessage = "chat.postMessage"
    case update = "chat.update"
    case postEphemeral = "chat.postEphemeral"
    case getPermalink = "chat.getPermalink"
    case openConversation = "conversations.open"
    case openView = "views.open"
    case publishView = "views.publish"
    case getUploadURLExternal = "files.getUploadURLExternal"
    case completeUploadExternal = "files.completeUploadExternal"
}

/// A call that did not end in `ok: true`: the failing cases of `SlackCallResult`, with the same names, so that
/// `"\(failure)"` reads as the result did.
public enum SlackCallFailure: Error, Sendable, Equatable {
    case apiError(String, permanent: Bool)
    case rateLimited(retryAfter: Duration)
    case transient(String)
}

extension SlackCallResult {
    /// The reply read by `read` when the call succeeded, the failure otherwise.
    func map<Value>(_ read: (JSONValue) -> Value) -> Result<Value, SlackCallFailure> {
        switch self {
        case .ok(let reply): .success(read(reply))
        case .apiError(let error, let permanent): .failure(.apiError(error, permanent: permanent))
        case .rateLimited(let delay): .failure(.rateLimited(retryAfter: delay))
        case .transient(let error): .failure(.transient(error))
        }
    }
}

/// A message Slack accepted (`chat.postMessage`, `chat.update`): where it is, as far as the reply says.
public struct SlackPostedMessage: Sendable, Equatable {
    public let channel: String?
    public let ts: String?
}

/// A reserved upload (`files.getUploadURLExternal`): where to POST the bytes, and the file's id.
public struct SlackUploadTicket: Sendable, Equatable {
    public let uploadURL: String?
    public let fileID: String?
}

/// A file to share with `files.completeUploadExternal`.
public struct SlackUploadedFile: Sendable, Equatable {
    public let id: String
    public let title: String
}

/// The typed calls, each built on the protocol's one primitive (`call(_:_:)`, or `call(_:form:)` where Slack
/// wants a form), so that a test double or a wrapper (metrics) implements that and nothing else, and every call
/// keeps Slack's error and rate-limit handling as `SlackCallResult` sorts it.
extension SlackWebAPI {
    private func call(_ method: SlackMethod, _ arguments: JSONValue) async -> SlackCallResult {
        await call(method.rawValue, arguments)
    }

    public func postMessage(
        channel: String, text: String, blocks: [JSONValue]? = nil, threadTS: String? = nil,
        unfurlLinks: Bool? = nil, unfurlMedia: Bool? = nil
    ) async -> Result<SlackPostedMessage, SlackCallFailure> {
        var arguments: [String: JSONValue] = ["channel": .string(channel), "text": .string(text)]
        if let threadTS { arguments["thread_ts"] = .string(threadTS) }
        if let blocks { arguments["blocks"] = .array(blocks) }
        if let unfurlLinks { arguments["unfurl_links"] = .bool(unfurlLinks) }
        if let unfurlMedia { arguments["unfurl_media"] = .bool(unfurlMedia) }
        return await call(.postMessage, .object(arguments)).map(SlackPostedMessage.init(reply:))
    }

    public func updateMessage(channel: String, ts: String, text: String, blocks: [JSONValue]) async -> Result<SlackPostedMessage, SlackCallFailure> {
        await call(.update, ["channel": .string(channel), "ts": .string(ts), "text": .string(text), "blocks": .array(blocks)])
            .map(SlackPostedMessage.init(reply:))
    }

    public func postEphemeral(channel: String, user: String, text: String) async -> Result<Void, SlackCallFailure> {
        await call(.postEphemeral, ["channel": .string(channel), "user": .string(user), "text": .string(text)]).map { _ in () }
    }

    /// The message's permalink; nil when Slack gave none.
    public func permalink(channel: String, messageTS: String) async -> Result<String?, SlackCallFailure> {
        await call(.getPermalink, ["channel": .string(channel), "message_ts": .string(messageTS)]).map { $0["permalink"]?.stringValue }
    }

    /// The direct-message channel with `user`; nil when the reply names none.
    public func openConversation(with user: String) async -> Result<String?, SlackCallFailure> {
        await call(.openConversation, ["users": .string(user)]).map { $0["channel"]?["id"]?.stringValue }
    }

    /// Opens a modal with a `trigger_id` (which lives 3 s and works once).
    public func openView(triggerID: String, view: JSONValue) async -> Result<Void, SlackCallFailure> {
        await call(.openView, ["trigger_id": .string(triggerID), "view": view]).map { _ in () }
    }

    /// Publishes `userID`'s Home tab.
    public func publishView(userID: String, view: JSONValue) async -> Result<Void, SlackCallFailure> {
        await call(.publishView, ["user_id": .string(userID), "view": view]).map { _ in () }
    }

    /// Form-encoded: `files.getUploadURLExternal` refuses JSON.
    public func getUploadURLExternal(filename: String, length: Int) async -> Result<SlackUploadTicket, SlackCallFailure> {
        await call(SlackMethod.getUploadURLExternal.rawValue, form: ["filename": filename, "length": String(length)]).map {
            SlackUploadTicket(uploadURL: $0["upload_url"]?.stringValue, fileID: $0["file_id"]?.stringValue)
        }
    }

    /// Shares uploaded files in a thread, with one comment.
    public func completeUploadExternal(
        files: [SlackUploadedFile], channelID: String, threadTS: String, initialComment: String
    ) async -> Result<Void, SlackCallFailure> {
        await call(.completeUploadExternal, [
            "files": .array(files.map { ["id": .string($0.id), "title": .string($0.title)] }),
            "channel_id": .string(channelID), "thread_ts": .string(threadTS), "initial_comment": .string(initialComment),
        ]).map { _ in () }
    }

    /// POSTs a file's bytes to a reserved `upload_url`, as `upload(to:length:next:)` does, typed like the others.
    public func uploadFile(to url: String, length: Int, next: @escaping @Sendable () async throws -> ByteBuffer?) async -> Result<Void, SlackCallFailure> {
        await upload(to: url, length: length, next: next).map { _ in () }
    }
}

extension SlackPostedMessage {
    init(reply: JSONValue) {
        self.init(channel: reply["channel"]?.stringValue, ts: reply["ts"]?.stringValue)
    }
}
