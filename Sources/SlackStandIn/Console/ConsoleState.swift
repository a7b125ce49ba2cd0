import Foundation
import QueryGateCore

/// The workspace as one person sees it, as the page reads it: the people to pick from, the channels with their
/// messages and threads, that person's direct messages, ephemerals, Home tab and open modal, the files, and every call
/// the stand-in refused.
enum ConsoleState {
    static func render(_ workspace: SlackWorkspace, for user: String) async -> JSONValue {
        let people = await workspace.people
        let channels = await workspace.channels
        var conversations: [JSONValue] = []
        for channel in channels {
            conversations.append(conversation(channel.id, "#" + channel.name, await workspace.messages(in: channel.id), workspace: workspace))
        }
        var fileIDs: [String] = []
        for channel in channels.map(\.id) + [SlackWorkspace.directChannel(of: user)] {
            fileIDs += await workspace.messages(in: channel).flatMap(\.files)
        }
        var files: [String: JSONValue] = [:]
        for id in fileIDs {
            guard let (file, _) = await workspace.file(id) else { continue }
            files[id] = ["name": .string(file.name), "title": .string(file.title), "size": .number(Double(file.size ?? 0)),
                         "url": .string("/console/files/\(id)")]
        }
        let direct = SlackWorkspace.directChannel(of: user)
        let modal = await workspace.modal(for: user)
        let home = await workspace.home(for: user)
        return [
            "people": .array(people.map { ["id": .string($0.id), "name": .string($0.name), "title": .string($0.title)] }),
            "channels": .array(conversations),
            "direct": conversation(direct, "QueryGate (direct messages)", await workspace.messages(in: direct), workspace: workspace),
            "ephemerals": .array(await workspace.ephemerals(for: user).map {
                ["channel": .string($0.channel), "ts": .string($0.ts), "text": .string($0.text), "blocks": $0.blocks ?? .null]
            }),
            "modal": modal.map { ["id": .string($0.id), "view": $0.view, "errors": .object($0.errors.mapValues { .string($0) })] } ?? .null,
            "home": home.map { ["id": .string($0.id), "blocks": $0.view["blocks"] ?? []] } ?? .null,
            "files": .object(files),
            "refusals": .array(await workspace.refusals.suffix(20).map {
                ["method": .string($0.method), "error": .string($0.outcome), "detail": .string($0.detail ?? "")]
            }),
        ]
    }

    static func conversation(_ id: String, _ name: String, _ messages: [StandInMessage], workspace: SlackWorkspace) -> JSONValue {
        [
            "id": .string(id), "name": .string(name),
            "messages": .array(messages.map { message in
                [
                    "ts": .string(message.ts), "text": .string(message.text), "blocks": message.blocks ?? .null,
                    "thread_ts": message.threadTS.map { .string($0) } ?? .null, "files": .array(message.files.map { .string($0) }),
                    "edited": .bool(message.edited),
                ]
            }),
        ]
    }
}
