import Foundation
import QueryGateCore

/// The Web API methods QueryGate calls, answered as Slack answers them (https://api.slack.com/methods): the same
/// reply shapes, the same `ok: false` error codes, and Block Kit's limits enforced.
extension SlackWorkspace {
    public func answer(method: String, arguments: JSONValue, authorization: String?, isForm: Bool) -> StandInReply {
        if var queue = scripted[method], !queue.isEmpty {
            let behavior = queue.removeFirst()
            scripted[method] = queue
            switch behavior {
            case .rateLimited(let seconds):
                calls.append(StandInCall(method: method, arguments: arguments, outcome: "429", detail: nil))
                return StandInReply(status: 429, retryAfter: seconds, body: nil)
            case .serverError:
                calls.append(StandInCall(method: method, arguments: arguments, outcome: "500", detail: nil))
                return StandInReply(status: 500, retryAfter: nil, body: nil)
            case .error(let code):
                return refuse(method, arguments, code, "scripted")
            }
        }
        guard authorization == "Bearer \(botToken)" else { return refuse(method, arguments, "invalid_auth", "wrong or missing bot token") }
        if let problem = BlockKitLimits.problem(method: method, arguments: arguments) {
            return refuse(method, arguments, problem.code, problem.detail)
        }
        switch method {
        case "auth.test": return ok(method, arguments, ["user_id": "U0BOT0001", "team_id": "T0DEMO001", "bot_id": "B0BOT0001"])
        case "chat.postMessage": return postMessage(arguments)
        case "chat.update": return update(arguments)
        case "chat.postEphemeral": return postEphemeral(arguments)
        case "chat.getPermalink": return permalink(arguments)
        case "conversations.open": return openConversation(arguments)
        case "views.open": return openView(arguments)
        case "views.update": return updateView(arguments)
        case "views.publish": return publishHome(arguments)
        case "files.getUploadURLExternal": return uploadURL(arguments, isForm: isForm)
        case "files.completeUploadExternal": return completeUpload(arguments)
        default: return refuse(method, arguments, "unknown_method", "the stand-in does not answer \(method)")
        }
    }

    /// The bytes of a file, posted to the URL `files.getUploadURLExternal` handed out.
    public func storeUpload(id: String, bytes: [UInt8]) -> Bool {
        guard files[id] != nil else { return false }
        fileBytes[id] = bytes
        files[id]?.size = bytes.count
        return true
    }

    // MARK: - Methods

    private func postMessage(_ arguments: JSONValue) -> StandInReply {
        let method = "chat.postMessage"
        guard let channel = arguments["channel"]?.stringValue, isKnownConversation(channel) else {
            return refuse(method, arguments, "channel_not_found", "no channel \(arguments["channel"]?.stringValue ?? "(none)")")
        }
        guard arguments["text"]?.stringValue?.isEmpty == false || arguments["blocks"]?.arrayValue?.isEmpty == false else {
            return refuse(method, arguments, "no_text", "neither text nor blocks")
        }
        let threadTS = arguments["thread_ts"]?.stringValue
        if let threadTS, !(messages[channel] ?? []).contains(where: { $0.ts == threadTS }) {
            return refuse(method, arguments, "thread_not_found", "no message \(threadTS) in \(channel)")
        }
        let message = StandInMessage(
            channel: channel, ts: nextTS(), text: arguments["text"]?.stringValue ?? "", blocks: arguments["blocks"], threadTS: threadTS,
            files: [], edited: false)
        messages[channel, default: []].append(message)
        return ok(method, arguments, ["channel": .string(channel), "ts": .string(message.ts), "message": shape(message)])
    }

    private func update(_ arguments: JSONValue) -> StandInReply {
        let method = "chat.update"
        guard let channel = arguments["channel"]?.stringValue, isKnownConversation(channel) else {
            return refuse(method, arguments, "channel_not_found", "no channel \(arguments["channel"]?.stringValue ?? "(none)")")
        }
        guard let ts = arguments["ts"]?.stringValue, let index = messages[channel]?.firstIndex(where: { $0.ts == ts }) else {
            return refuse(method, arguments, "message_not_found", "no message \(arguments["ts"]?.stringValue ?? "(none)") in \(channel)")
        }
        if let text = arguments["text"]?.stringValue { messages[channel]![index].text = text }
        if let blocks = arguments["blocks"] { messages[channel]![index].blocks = blocks }
        messages[channel]![index].edited = true
        return ok(method, arguments, ["channel": .string(channel), "ts": .string(ts), "text": .string(messages[channel]![index].text)])
    }

    private func postEphemeral(_ arguments: JSONValue) -> StandInReply {
        let method = "chat.postEphemeral"
        guard let channel = arguments["channel"]?.stringValue, isKnownConversation(channel) else {
            return refuse(method, arguments, "channel_not_found", "no channel \(arguments["channel"]?.stringValue ?? "(none)")")
        }
        guard let user = arguments["user"]?.stringValue, people.contains(where: { $0.id == user }) else {
            return refuse(method, arguments, "user_not_in_channel", "no person \(arguments["user"]?.stringValue ?? "(none)")")
        }
        guard arguments["text"]?.stringValue?.isEmpty == false || arguments["blocks"]?.arrayValue?.isEmpty == false else {
            return refuse(method, arguments, "no_text", "neither text nor blocks")
        }
        let ephemeral = StandInEphemeral(user: user, channel: channel, ts: nextTS(), text: arguments["text"]?.stringValue ?? "",
                                         blocks: arguments["blocks"])
        ephemerals.append(ephemeral)
        return ok(method, arguments, ["message_ts": .string(ephemeral.ts)])
    }

    private func permalink(_ arguments: JSONValue) -> StandInReply {
        let method = "chat.getPermalink"
        guard let channel = arguments["channel"]?.stringValue, let ts = arguments["message_ts"]?.stringValue,
              messages[channel]?.contains(where: { $0.ts == ts }) == true
        else { return refuse(method, arguments, "message_not_found", "no such message") }
        return ok(method, arguments, ["channel": .string(channel), "permalink": .string("\(baseURL)/console#\(channel)/\(ts)")])
    }

    private func openConversation(_ arguments: JSONValue) -> StandInReply {
        let method = "conversations.open"
        guard let user = arguments["users"]?.stringValue, people.contains(where: { $0.id == user }) else {
            return refuse(method, arguments, "user_not_found", "no person \(arguments["users"]?.stringValue ?? "(none)")")
        }
        return ok(method, arguments, ["channel": ["id": .string(Self.directChannel(of: user))]])
    }

    private func openView(_ arguments: JSONValue) -> StandInReply {
        let method = "views.open"
        guard let view = arguments["view"], view["type"]?.stringValue == "modal" else {
            return refuse(method, arguments, "invalid_arguments", "no modal view")
        }
        guard let trigger = arguments["trigger_id"]?.stringValue, let owner = triggers[trigger] else {
            return refuse(method, arguments, "invalid_trigger_id", "unknown trigger id")
        }
        triggers[trigger] = nil
        guard owner.expires > .now else { return refuse(method, arguments, "expired_trigger_id", "the trigger id is older than 3 s") }
        let modal = StandInModal(id: nextID("V"), view: view, errors: [:])
        modals[owner.user] = modal
        return ok(method, arguments, ["view": viewShape(modal)])
    }

    private func updateView(_ arguments: JSONValue) -> StandInReply {
        let method = "views.update"
        guard let view = arguments["view"] else { return refuse(method, arguments, "invalid_arguments", "no view") }
        guard let id = arguments["view_id"]?.stringValue, let user = modals.first(where: { $0.value.id == id })?.key else {
            return refuse(method, arguments, "not_found", "no open view \(arguments["view_id"]?.stringValue ?? "(none)")")
        }
        modals[user] = StandInModal(id: id, view: view, errors: [:])
        return ok(method, arguments, ["view": viewShape(modals[user]!)])
    }

    /// A person's Home tab: `views.publish` replaces it whole, for a member of the workspace.
    private func publishHome(_ arguments: JSONValue) -> StandInReply {
        let method = "views.publish"
        guard let user = arguments["user_id"]?.stringValue, people.contains(where: { $0.id == user }) else {
            return refuse(method, arguments, "user_not_found", "no member \(arguments["user_id"]?.stringValue ?? "(none)")")
        }
        guard let view = arguments["view"], view["type"]?.stringValue == "home" else {
            return refuse(method, arguments, "invalid_arguments", "views.publish takes a view of type home")
        }
        let home = StandInModal(id: homes[user]?.id ?? nextID("V"), view: view, errors: [:])
        homes[user] = home
        return ok(method, arguments, ["view": viewShape(home)])
    }

    private func uploadURL(_ arguments: JSONValue, isForm: Bool) -> StandInReply {
        let method = "files.getUploadURLExternal"
        // Live Slack refuses a JSON body here, saying a present argument is missing.
        guard isForm, let name = arguments["filename"]?.stringValue, !name.isEmpty,
              let length = arguments["length"]?.stringValue.flatMap(Int.init), length > 0
        else { return refuse(method, arguments, "invalid_arguments", "needs a form body with filename and length") }
        let id = nextID("F")
        files[id] = StandInFile(id: id, name: name, title: name, size: nil, channel: nil, threadTS: nil)
        return ok(method, arguments, ["file_id": .string(id), "upload_url": .string("\(baseURL)/standin/upload/\(id)")])
    }

    private func completeUpload(_ arguments: JSONValue) -> StandInReply {
        let method = "files.completeUploadExternal"
        guard let list = arguments["files"]?.arrayValue, !list.isEmpty,
              list.allSatisfy({ $0["id"]?.stringValue.flatMap { fileBytes[$0] } != nil })
        else { return refuse(method, arguments, "file_not_found", "a file that was never uploaded") }
        let channel = arguments["channel_id"]?.stringValue
        if let channel, !isKnownConversation(channel) { return refuse(method, arguments, "channel_not_found", "no channel \(channel)") }
        let threadTS = arguments["thread_ts"]?.stringValue
        let ids = list.compactMap { $0["id"]?.stringValue }
        for (id, entry) in zip(ids, list) {
            if let title = entry["title"]?.stringValue { files[id]?.title = title }
            files[id]?.channel = channel
            files[id]?.threadTS = threadTS
        }
        if let channel {
            // Slack shares the files as a message of their own, in the thread when one is named.
            let message = StandInMessage(channel: channel, ts: nextTS(), text: arguments["initial_comment"]?.stringValue ?? "", blocks: nil,
                                         threadTS: threadTS, files: ids, edited: false)
            messages[channel, default: []].append(message)
        }
        return ok(method, arguments, ["files": .array(ids.map { ["id": .string($0), "title": .string(files[$0]?.title ?? "")] })])
    }

    // MARK: - Replies

    private func ok(_ method: String, _ arguments: JSONValue, _ fields: [String: JSONValue]) -> StandInReply {
        calls.append(StandInCall(method: method, arguments: arguments, outcome: "ok", detail: nil))
        return StandInReply(status: 200, retryAfter: nil, body: .object(fields.merging(["ok": true]) { $1 }))
    }

    private func refuse(_ method: String, _ arguments: JSONValue, _ code: String, _ detail: String) -> StandInReply {
        calls.append(StandInCall(method: method, arguments: arguments, outcome: code, detail: detail))
        return StandInReply(status: 200, retryAfter: nil, body: ["ok": false, "error": .string(code)])
    }

    private func shape(_ message: StandInMessage) -> JSONValue {
        var fields: [String: JSONValue] = ["type": "message", "ts": .string(message.ts), "text": .string(message.text), "bot_id": "B0BOT0001"]
        if let blocks = message.blocks { fields["blocks"] = blocks }
        if let thread = message.threadTS { fields["thread_ts"] = .string(thread) }
        return .object(fields)
    }

    private func viewShape(_ modal: StandInModal) -> JSONValue {
        guard case .object(var fields) = modal.view else { return ["id": .string(modal.id)] }
        fields["id"] = .string(modal.id)
        return .object(fields)
    }
}
