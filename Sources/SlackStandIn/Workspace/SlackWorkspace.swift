import Foundation
import QueryGateCore

/// The stand-in's workspace: everything QueryGate has posted, updated, opened and uploaded, kept in memory.
/// One actor, so that a call and the console's reads never see half of an update.
public actor SlackWorkspace {
    /// The bot token QueryGate must present (`Authorization: Bearer …`); anything else is `invalid_auth`.
    public let botToken: String
    /// Where permalinks and upload URLs point: the server this workspace is served on.
    var baseURL: String

    public private(set) var people: [StandInPerson]
    public private(set) var channels: [StandInChannel]
    var messages: [String: [StandInMessage]] = [:]
    var ephemerals: [StandInEphemeral] = []
    var modals: [String: StandInModal] = [:]
    /// Each person's Home tab, as last published.
    var homes: [String: StandInModal] = [:]
    var files: [String: StandInFile] = [:]
    var fileBytes: [String: [UInt8]] = [:]
    /// Trigger ids handed out with a command or a click: who they belong to and until when they work. Slack's
    /// live 3 seconds and work once.
    var triggers: [String: (user: String, expires: ContinuousClock.Instant)] = [:]
    public internal(set) var calls: [StandInCall] = []
    var scripted: [String: [StandInBehavior]] = [:]
    private var counter = 100

    public init(botToken: String, baseURL: String, people: [StandInPerson] = [], channels: [StandInChannel] = []) {
        self.botToken = botToken
        self.baseURL = baseURL
        self.people = people
        self.channels = channels
    }

    /// Set once the server knows its port (tests serve on port 0).
    public func setBaseURL(_ url: String) { baseURL = url }

    /// Makes the next calls of `method` behave as `behaviors`, one each, in order.
    public func script(_ method: String, _ behaviors: [StandInBehavior]) {
        scripted[method, default: []].append(contentsOf: behaviors)
    }

    /// Calls the stand-in refused because Slack would have (`invalid_blocks`, `channel_not_found`…).
    public var refusals: [StandInCall] { calls.filter { $0.outcome != "ok" } }

    /// A fresh timestamp, Slack-shaped (`seconds.micro`) and increasing, so it orders messages.
    func nextTS() -> String {
        counter += 1
        return "\(Int(Date().timeIntervalSince1970)).\(String(format: "%06d", counter))"
    }

    func nextID(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)0\(counter)"
    }

    /// A trigger id for `user`'s next interaction, as Slack sends with a slash command or a click.
    public func makeTrigger(for user: String) -> String {
        counter += 1
        let trigger = "\(counter).\(Int(Date().timeIntervalSince1970)).\(UUID().uuidString.prefix(8).lowercased())"
        triggers[trigger] = (user, .now + .seconds(3))
        return trigger
    }

    /// The direct-message conversation QueryGate and `user` share (what `conversations.open` answers).
    static func directChannel(of user: String) -> String { "D" + user.dropFirst() }

    func isKnownConversation(_ id: String) -> Bool {
        channels.contains { $0.id == id } || people.contains { Self.directChannel(of: $0.id) == id }
    }

    /// A message posted in `channel` (or in a thread of it).
    public func messages(in channel: String) -> [StandInMessage] { messages[channel] ?? [] }

    public func ephemerals(for user: String) -> [StandInEphemeral] { ephemerals.filter { $0.user == user } }

    public func modal(for user: String) -> StandInModal? { modals[user] }

    public func home(for user: String) -> StandInModal? { homes[user] }

    public func file(_ id: String) -> (StandInFile, [UInt8])? {
        guard let file = files[id], let bytes = fileBytes[id] else { return nil }
        return (file, bytes)
    }

    // MARK: - What the console does for a person

    /// The answer QueryGate gave a slash command in its HTTP response: Slack shows it to that person only.
    public func addEphemeral(user: String, channel: String, text: String, blocks: JSONValue?) {
        ephemerals.append(StandInEphemeral(user: user, channel: channel, ts: nextTS(), text: text, blocks: blocks))
    }

    public func replaceModal(for user: String, view: JSONValue) {
        guard let id = modals[user]?.id else { return }
        modals[user] = StandInModal(id: id, view: view, errors: [:])
    }

    public func setModalErrors(for user: String, _ errors: [String: String]) {
        modals[user]?.errors = errors
    }

    public func closeModal(for user: String) { modals[user] = nil }

    /// Records a refusal that did not come through the Web API (QueryGate answering the console with an error).
    public func recordRefusal(_ method: String, _ detail: String) {
        calls.append(StandInCall(method: method, arguments: .null, outcome: "error", detail: detail))
    }
}
