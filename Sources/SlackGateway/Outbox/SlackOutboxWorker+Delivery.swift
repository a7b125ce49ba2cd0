import Foundation
import Logging
import NIOCore
import PortalStore
import QueryGateCore

/// One delivery: a notification rendered from its request's current state into the Web API calls that send it, and
/// what Slack's answer means for the row.
extension SlackOutboxWorker {
    func deliver(_ message: PortalStore.OutboxMessage) async -> PortalStore.DeliveryResult {
        var request: RequestDetails? = nil
        if let requestID = message.requestID {
            do {
                request = try await outbox.requestDetails(id: requestID)
            } catch {
                return .retry(after: backoff(message.attempts), error: "could not load request \(requestID): \(error)")
            }
            if request == nil { return .failed(error: "request \(requestID) no longer exists") }
        }

        // Each kind of notification is one typed call; what Slack answered means the same for the row whichever it was.
        let method: SlackMethod
        let call: Result<SlackPostedMessage?, SlackCallFailure>
        switch (message.type, request) {
        case (.approvalRequest, let request?):
            let rendered = ApprovalMessage.render(request)
            method = .postMessage
            call = await slack.postMessage(channel: message.recipient, text: rendered.text, blocks: rendered.blocks,
                                           unfurlLinks: false, unfurlMedia: false).map { $0 }
        case (.approvalUpdate, let request?):
            guard let channel = message.parentChannelID, let ts = message.parentTS else {
                return .failed(error: "the approval message has no ts")
            }
            let rendered = ApprovalMessage.render(request)
            method = .update
            call = await slack.updateMessage(channel: channel, ts: ts, text: rendered.text, blocks: rendered.blocks).map { $0 }
        case (.directMessage, let request?):
            guard let channel = message.channelID else {
                return await openConversation(with: message.recipient, attempts: message.attempts)
            }
            guard let event = message.payload["event"].flatMap(RequestEvent.init(rawValue:)) else {
                return .failed(error: "a direct message names no known event (\(message.payload["event"] ?? "none"))")
            }
            method = .postMessage
            let text = Replies.directMessage(request, event: event, link: await permalink(request))
            call = await slack.postMessage(channel: channel, text: text).map { $0 }
        case (.resultReply, let request?):
            guard let channel = message.parentChannelID, let ts = message.parentTS else { return .failed(error: "the approval message has no ts") }
            let rendered = ResultMessage.render(request)
            method = .postMessage
            call = await slack.postMessage(channel: channel, text: rendered.text, blocks: rendered.blocks, threadTS: ts, unfurlLinks: false)
                .map { $0 }
        case (.reminder, let request?):
            guard let channel = message.parentChannelID, let ts = message.parentTS else { return .failed(error: "the approval message has no ts") }
            // Rendered when delivered: a request decided meanwhile needs no reminder, and none is sent.
            guard request.status == .pending else { return .sent(channelID: nil, ts: nil) }
            let expires = message.payload["expires_at"].flatMap { try? Date($0, strategy: .iso8601) }
            let text = Replies.reminder(request, nudged: message.payload["kind"] == "nudge", expiresAt: expires)
            method = .postMessage
            call = await slack.postMessage(channel: channel, text: text, threadTS: ts, unfurlLinks: false).map { $0 }
        case (.resultFile, let request?):
            return await uploadExport(of: request, message: message)
        case (.homeTab, _):
            method = .publishView
            let view: JSONValue
            do {
                view = try await homeTab(of: message.recipient, notice: message.payload["notice"])
            } catch {
                return .retry(after: backoff(message.attempts), error: "could not read the Home tab of \(message.recipient): \(error)")
            }
            call = await slack.publishView(userID: message.recipient, view: view).map { nil }
        case (.ephemeral, _):
            guard let channel = message.channelID else { return .failed(error: "an ephemeral message needs a channel") }
            guard let text = message.payload["text"], !text.isEmpty else { return .failed(error: "an ephemeral message has no text") }
            method = .postEphemeral
            call = await slack.postEphemeral(channel: channel, user: message.recipient, text: text).map { nil }
        default:
            return .failed(error: "\(message.type.rawValue) needs a request")
        }

        switch call {
        case .success(let posted): return .sent(channelID: posted?.channel, ts: posted?.ts)
        case .failure(let failure): return result(of: failure, attempts: message.attempts, method: method.rawValue)
        }
    }

    /// The Home tab of the Slack user `slackUserID` as it stands now; a stranger's says how to get access.
    private func homeTab(of slackUserID: String, notice: String?) async throws -> JSONValue {
        let found = try await outbox.user(slackUserID: slackUserID)
        guard let user = found, user.isActive else { return HomeTab.noAccess(isDeactivated: found != nil) }
        let (decisions, recent) = try await outbox.homeTab(for: user)
        let contents = HomeTab.Contents(user: user, decisions: Array(decisions.prefix(HomeTab.maximumDecisions)),
                                        decisionsInAll: decisions.count, recent: recent)
        return HomeTab.view(contents, notice: notice)
    }

    /// A link to the approval message, for direct messages; nil when Slack will not give one.
    private func permalink(_ request: RequestDetails) async -> String? {
        guard let channel = request.slackChannelID, let ts = request.slackMessageTS else { return nil }
        return try? await slack.permalink(channel: channel, messageTS: ts).get()
    }

    /// Uploads the request's exports (CSV; JSON Lines for MongoDB, with a CSV too for flat documents) into the
    /// approval message's thread: reserve an upload URL per file (form-encoded, as Slack requires), stream the
    /// stored chunks to it, then share the files in the thread in one message. Any failure retries the whole
    /// sequence; the exports are deleted once Slack has the files.
    private func uploadExport(of request: RequestDetails, message: PortalStore.OutboxMessage) async -> PortalStore.DeliveryResult {
        guard let channel = message.parentChannelID, let ts = message.parentTS else { return .failed(error: "the approval message has no ts") }
        let files: [PortalStore.StoredExport]
        do {
            files = try await outbox.exports(of: request.id)
        } catch {
            return .retry(after: backoff(message.attempts), error: "could not read the export: \(error)")
        }
        guard !files.isEmpty else { return .failed(error: "the export of request \(request.id) is gone") }

        var uploaded: [SlackUploadedFile] = []
        for file in files {
            let filename = "querygate-request-\(request.id).\(file.format.rawValue)"
            let ticket: SlackUploadTicket
            switch await slack.getUploadURLExternal(filename: filename, length: file.bytes) {
            case .success(let reserved): ticket = reserved
            case .failure(let failure): return result(of: failure, attempts: message.attempts, method: SlackMethod.getUploadURLExternal.rawValue)
            }
            // An `ok` reply without a URL or an id reserved nothing: the file is not in the thread, so the delivery
            // is tried again rather than recorded as sent.
            guard let url = ticket.uploadURL, let fileID = ticket.fileID else {
                logger.warning("Slack reserved no upload", metadata: ["method": "\(SlackMethod.getUploadURLExternal.rawValue)"])
                return .retry(after: backoff(message.attempts), error: "files.getUploadURLExternal answered ok without an upload_url or a file_id")
            }
            let reader = ChunkReader(outbox: outbox, requestID: request.id, format: file.format, chunks: file.chunks)
            if case .failure(let failure) = await slack.uploadFile(to: url, length: file.bytes, next: { try await reader.next() }) {
                return result(of: failure, attempts: message.attempts, method: "upload")
            }
            uploaded.append(SlackUploadedFile(id: fileID, title: "Request #\(request.id): \(request.target) (\(file.format.label))"))
        }

        let preview = request.outcome.flatMap { if case .completed(let result) = $0 { result.preview } else { nil } }
        let formats = files.map(\.format.label).joined(separator: " and ")
        let shared = await slack.completeUploadExternal(
            files: uploaded, channelID: channel, threadTS: ts,
            initialComment: ResultMessage.uploadComment(request.id, preview: preview, formats: formats))
        if case .failure(let failure) = shared {
            return result(of: failure, attempts: message.attempts, method: SlackMethod.completeUploadExternal.rawValue)
        }
        do {
            try await outbox.deleteExport(of: request.id)
        } catch {
            logger.warning("could not delete an uploaded export", metadata: ["request": "\(request.id)", "error": "\(error)"])
        }
        return .sent(channelID: channel, ts: nil)
    }

    /// What a failed call means for the notification.
    private func result(of failure: SlackCallFailure, attempts: Int, method: String) -> PortalStore.DeliveryResult {
        switch failure {
        case .apiError(let error, permanent: true):
            logger.error("Slack refused a message for good", metadata: ["method": "\(method)", "error": "\(error)"])
            return .failed(error: error)
        case .apiError(let error, permanent: false), .transient(let error):
            return .retry(after: backoff(attempts), error: error)
        case .rateLimited(let delay):
            return .rateLimited(after: delay)
        }
    }

    private func openConversation(with user: String, attempts: Int) async -> PortalStore.DeliveryResult {
        switch await slack.openConversation(with: user) {
        case .success(let channel?): return .conversationOpened(channelID: channel)
        case .success(nil): return .failed(error: "conversations.open gave no channel")
        case .failure(.apiError(let error, permanent: true)): return .failed(error: error)
        case .failure(.apiError(let error, permanent: false)), .failure(.transient(let error)): return .retry(after: backoff(attempts), error: error)
        case .failure(.rateLimited(let delay)): return .rateLimited(after: delay)
        }
    }
}

/// Hands out the chunks of a stored export one at a time, in order.
private actor ChunkReader {
    let outbox: any NotificationOutbox
    let requestID: Int
    let format: ExportFormat
    let chunks: Int
    var sequence = 0

    init(outbox: any NotificationOutbox, requestID: Int, format: ExportFormat, chunks: Int) {
        self.outbox = outbox
        self.requestID = requestID
        self.format = format
        self.chunks = chunks
    }

    func next() async throws -> ByteBuffer? {
        guard sequence < chunks else { return nil }
        defer { sequence += 1 }
        return try await outbox.exportChunk(of: requestID, format: format, sequence: sequence)
    }
}
