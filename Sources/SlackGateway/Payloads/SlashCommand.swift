import QueryGateCore

/// A slash command (`/query …`) as Slack posts it (https://api.slack.com/interactivity/slash-commands): the
/// fields QueryGate reads, decoded after the signature check. Every field is optional here, as Slack's SSL check
/// sends none of the others; what a command must hold (a Slack user id, a conversation id) the route checks, so
/// that a missing one is answered as before.
struct SlashCommand: Sendable, Equatable {
    var userID: String?
    var channelID: String?
    var text: String?
    var triggerID: String?
    var sslCheck: String?
    var teamID: String?
    var responseURL: String?
    var command: String?

    /// Slack checking the endpoint's certificate (`ssl_check=1`): acknowledged, nothing else.
    var isSSLCheck: Bool { sslCheck == "1" }

    /// The command in a form body.
    ///
    /// The raw form is read by `FormBody`, not by Hummingbird's `URLEncodedFormDecoder`: that decoder accepts
    /// what the Slack door refuses (a NUL, `%00`, reaches the model; a body is made a `String` before it is read,
    /// so invalid UTF-8 would have to be repaired or refused elsewhere), it reads `a[b]=` as nesting, refuses a
    /// repeated field, drops a field with no `=`, leaves `+` in names, and its errors do not name the field, which
    /// the route needs to answer a user or channel it cannot read with a 400 and any other field ephemerally. The
    /// fields are then read by name: a form is flat, and every field here is optional text.
    init(form body: [UInt8]) throws(ValidationError) {
        let fields = try FormBody.fields(body)
        userID = fields["user_id"]
        channelID = fields["channel_id"]
        text = fields["text"]
        triggerID = fields["trigger_id"]
        sslCheck = fields["ssl_check"]
        teamID = fields["team_id"]
        responseURL = fields["response_url"]
        command = fields["command"]
    }
}
