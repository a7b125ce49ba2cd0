import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PortalStore
import QueryGateCore

/// Slack's three endpoints: slash commands, interactivity (buttons, modals, the target picker's options) and
/// events. Each request is verified from its raw bytes before anything of it is parsed, answered within Slack's
/// 3 seconds, and does its slow work through the outbox. The one Web API call made here is `views.open`, which
/// must use the request's `trigger_id` at once.
public struct SlackRoutes: Sendable {
    /// Slack's bodies are small; a view submission with the longest query allowed is under 100 KiB.
    public static let maximumBodySize = 256 * 1024

    let verifier: SlackRequestVerifier?
    /// The requests, the people and the outbox's answers; `PortalStore` in production, a twin in route tests.
    let desk: any SlackDesk
    /// The targets a form's picker offers and the instances `/query sync` queues.
    let directory: any Directory
    let slack: any SlackWebAPI
    let deadline: PortalDeadline.Budget
    let logger: Logger

    /// - Parameters:
    ///   - verifier: nil when no signing secret is configured: every request is then refused with 503.
    ///   - deadline: the time the portal database gets while Slack waits (3 s in all); see `PortalDeadline`.
    public init(
        verifier: SlackRequestVerifier?, desk: any SlackDesk, directory: any Directory, slack: any SlackWebAPI,
        deadline: PortalDeadline.Budget = .slack, logger: Logger
    ) {
        self.verifier = verifier
        self.desk = desk
        self.directory = directory
        self.slack = slack
        self.deadline = deadline
        self.logger = logger
    }

    /// The routes on the portal database, as the server runs them.
    public init(
        verifier: SlackRequestVerifier?, store: PortalStore, slack: any SlackWebAPI, deadline: PortalDeadline.Budget = .slack, logger: Logger
    ) {
        self.init(verifier: verifier, desk: store, directory: store, slack: slack, deadline: deadline, logger: logger)
    }

    public func register(on router: Router<some RequestContext>) {
        router.post("slack/commands") { request, _ in
            // A slash command's answer is shown to the user, so the outage is explained there.
            try await verified(request, unavailable: { SlackResponses.ephemeral($0.message) }) { body in
                // A command is answered to whoever typed it, so refused text gets an ephemeral answer; a body whose
                // user or channel cannot be read is not a command Slack sent.
                let slashCommand: SlashCommand
                do throws(ValidationError) { slashCommand = try SlashCommand(form: body) } catch {
                    guard !["body", "user_id", "channel_id"].contains(error.field) else {
                        return SlackResponses.plain(.badRequest, "\(error.field) \(error.message)")
                    }
                    return SlackResponses.ephemeral("QueryGate cannot read this command: \(error.field) \(error.message).")
                }
                return try await command(slashCommand)
            }
        }
        router.post("slack/interactions") { request, _ in
            // A click or a form has no text answer: a 503 makes Slack show the person that it did not work.
            try await verified(request, unavailable: { SlackResponses.plain(.serviceUnavailable, $0.message) }) { body in
                guard let fields = try? FormBody.fields(body), let payload = fields["payload"],
                      let interaction = try? Interaction.decode(payload: payload)
                else {
                    return SlackResponses.plain(.badRequest, "expected a form field payload with an interaction from a Slack user")
                }
                return try await interact(interaction)
            }
        }
        router.post("slack/events") { request, _ in
            try await verified(request) { body in
                guard let event = JSONValue.decode(body) else { return SlackResponses.plain(.badRequest, "expected a JSON event") }
                if event["type"]?.stringValue == "url_verification", let challenge = event["challenge"]?.stringValue {
                    return SlackResponses.json(["challenge": .string(challenge)])
                }
                // Someone opened QueryGate's Home tab: publish it through the outbox (Slack waits 3 s for this
                // answer, and retries an event it did not get an answer to; a second publish does no harm).
                if event["type"]?.stringValue == "event_callback", let inner = event["event"],
                   inner["type"]?.stringValue == "app_home_opened", inner["tab"]?.stringValue == "home",
                   let user = inner["user"]?.stringValue, (try? SlackUserID(user)) != nil
                {
                    try await desk.publishHomeTab(for: user, notice: nil)
                }
                return SlackResponses.acknowledge()
            }
        }
    }

    /// Reads at most `maximumBodySize` bytes (413 beyond), checks the signature (401 otherwise), and only then
    /// hands the body on. A refusal is logged with its reason, never with the secret or the signature.
    private func verified(
        _ request: Request, unavailable: (PortalUnavailable) -> Response = { SlackResponses.plain(.serviceUnavailable, $0.message) },
        _ handle: @escaping @Sendable ([UInt8]) async throws -> Response
    ) async throws -> Response {
        guard let verifier else {
            logger.error("a Slack request arrived, but SLACK_SIGNING_SECRET is not set: refused")
            return SlackResponses.plain(.serviceUnavailable, "Slack is not configured on this QueryGate")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maximumBodySize {
            logger.warning("refused a Slack request", metadata: ["reason": "body of \(length) bytes is over the limit", "path": "\(request.uri.path)"])
            return SlackResponses.plain(.contentTooLarge, "request body too large")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumBodySize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            logger.warning("refused a Slack request", metadata: ["reason": "body over the limit", "path": "\(request.uri.path)"])
            return SlackResponses.plain(.contentTooLarge, "request body too large")
        }
        let bytes = Array(body.readableBytesView)
        do {
            try verifier.verify(
                timestamp: request.headers[SlackHeaders.timestamp], signature: request.headers[SlackHeaders.signature], body: bytes)
        } catch {
            logger.warning("refused a Slack request", metadata: ["reason": "\(error)", "path": "\(request.uri.path)"])
            return SlackResponses.plain(.unauthorized, "invalid Slack request signature")
        }
        do {
            return try await PortalDeadline.answer(within: deadline) { try await handle(bytes) }
        } catch let outage as PortalUnavailable {
            logger.error("answered Slack without the portal database", metadata: ["path": "\(request.uri.path)", "outcome": "\(outage)"])
            return unavailable(outage)
        } catch {
            // Slack shows the user a generic failure; the log says what it was.
            logger.error("a Slack request failed", metadata: ["path": "\(request.uri.path)", "error": "\(PortalStore.errorDescription(error))"])
            return SlackResponses.plain(.internalServerError, "QueryGate could not handle this request; it has been logged")
        }
    }

    /// The portal user behind a Slack account, or the message that tells a stranger how to get access.
    func member(_ slackUserID: String) async throws -> Result<User, NoAccess> {
        guard let user = try await desk.user(slackUserID: slackUserID) else { return .failure(NoAccess(isDeactivated: false)) }
        guard user.isActive else { return .failure(NoAccess(isDeactivated: true)) }
        return .success(user)
    }

    struct NoAccess: Error {
        let isDeactivated: Bool
        var message: String { Replies.noAccess(isDeactivated: isDeactivated) }
    }
}

public enum SlackHeaders {
    public static let timestamp = HTTPField.Name("X-Slack-Request-Timestamp")!
    public static let signature = HTTPField.Name("X-Slack-Signature")!
}
