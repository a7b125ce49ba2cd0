import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import QueryGateCore

/// The Slack Web API, one method call at a time (https://api.slack.com/web). A protocol, so that the outbox
/// worker and the routes can be tested against any server that speaks it.
public protocol SlackWebAPI: Sendable {
    /// Calls a method with a JSON body (most methods).
    func call(_ method: String, _ arguments: JSONValue) async -> SlackCallResult
    /// Calls a method with a form body: `files.getUploadURLExternal` refuses JSON.
    func call(_ method: String, form: [String: String]) async -> SlackCallResult
    /// POSTs a file's bytes to the `upload_url` Slack handed out: `length` bytes, read chunk by chunk from `next`
    /// (nil at the end), so the file never sits whole in memory.
    func upload(to url: String, length: Int, next: @escaping @Sendable () async throws -> ByteBuffer?) async -> SlackCallResult
}

/// How a call ended, sorted by what the caller should do about it.
public enum SlackCallResult: Sendable, Equatable {
    /// `ok: true`, with the whole reply.
    case ok(JSONValue)
    /// `ok: false`. `permanent` errors (channel_not_found, invalid_auth…) will fail again however often they are
    /// tried; the others (internal_error…) may not.
    case apiError(String, permanent: Bool)
    /// HTTP 429: wait `retryAfter` before calling again.
    case rateLimited(retryAfter: Duration)
    /// HTTP 5xx, a timeout or a network error: worth another try later.
    case transient(String)

    /// Slack's errors that are worth retrying; every other `ok: false` is treated as permanent, so an unknown
    /// error is recorded rather than retried forever.
    static let retryableErrors: Set<String> = ["internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"]

    public var reply: JSONValue? {
        if case .ok(let reply) = self { return reply }
        return nil
    }
}

/// The real Web API over HTTPS (or whatever `baseURL` says, for tests), with the bot token.
public struct HTTPSlackWebAPI: SlackWebAPI {
    /// The longest pause a 429's Retry-After may ask for, in seconds.
    public static let longestRateLimitPause = 300

    let baseURL: URL
    let token: String
    let client: HTTPClient
    let timeout: TimeAmount
    let logger: Logger

    public init(baseURL: URL, token: String, client: HTTPClient = .shared, timeout: TimeAmount = .seconds(10), logger: Logger) {
        self.baseURL = baseURL
        self.token = token
        self.client = client
        self.timeout = timeout
        self.logger = logger
    }

    public func call(_ method: String, _ arguments: JSONValue) async -> SlackCallResult {
        await send(method, contentType: "application/json; charset=utf-8", body: ByteBuffer(bytes: arguments.encoded()))
    }

    public func call(_ method: String, form: [String: String]) async -> SlackCallResult {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = form.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        return await send(method, contentType: "application/x-www-form-urlencoded", body: ByteBuffer(string: body))
    }

    public func upload(to url: String, length: Int, next: @escaping @Sendable () async throws -> ByteBuffer?) async -> SlackCallResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(AsyncThrowingStream(unfolding: next), length: .known(Int64(length)))
        do {
            let response = try await client.execute(request, timeout: .seconds(300), logger: logger)
            _ = try await response.body.collect(upTo: 64 * 1024)
            if response.status == .tooManyRequests { return .rateLimited(retryAfter: .seconds(30)) }
            guard response.status.code < 300 else { return .transient("upload answered HTTP \(response.status.code)") }
            return .ok([:])
        } catch {
            return .transient("upload: \(error)")
        }
    }

    private func send(_ method: String, contentType: String, body: ByteBuffer) async -> SlackCallResult {
        var request = HTTPClientRequest(url: baseURL.appendingPathComponent(method).absoluteString)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(body)
        do {
            let response = try await client.execute(request, timeout: timeout, logger: logger)
            if response.status == .tooManyRequests {
                // The outbox sleeps the pause out, deaf to wake-ups: a Retry-After far beyond Slack's own (seconds
                // to a minute) is capped, so that a bad header cannot park deliveries for days.
                let seconds = response.headers.first(name: "Retry-After").flatMap(Int.init) ?? 30
                return .rateLimited(retryAfter: .seconds(min(max(1, seconds), Self.longestRateLimitPause)))
            }
            if response.status.code >= 500 {
                return .transient("HTTP \(response.status.code) from \(method)")
            }
            let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
            guard let reply = JSONValue.decode(body.readableBytesView) else {
                return .transient("HTTP \(response.status.code) from \(method) with a body that is not JSON")
            }
            if reply["ok"]?.boolValue == true { return .ok(reply) }
            let error = reply["error"]?.stringValue ?? "unknown_error"
            return .apiError(error, permanent: !SlackCallResult.retryableErrors.contains(error))
        } catch {
            return .transient("\(method): \(error)")
        }
    }
}
