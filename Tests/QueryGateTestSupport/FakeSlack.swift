import Foundation
import Hummingbird
import Logging
import NIOCore
import QueryGateCore
import SlackGateway
import SlackStandIn

/// A local HTTP server that behaves like the Slack Web API methods QueryGate uses: Slack's reply shapes, its
/// `ok: false` errors, HTTP 429 with `Retry-After`, and 5xx when told to. It records every call, and checks the
/// blocks it is sent against Slack's limits (a violation is answered `invalid_blocks` and recorded).
public struct FakeSlack: Sendable {
    public let port: Int
    public let recorder: Recorder

    /// The base URL to configure as `SLACK_API_URL`.
    public var apiURL: URL { URL(string: "http://127.0.0.1:\(port)/api")! }

    public static let botToken = "xoxb-test-token"

    /// Runs `body` with a fresh fake Slack on a free loopback port, and stops it afterwards.
    public static func run<Result: Sendable>(_ body: @Sendable (FakeSlack) async throws -> Result) async throws -> Result {
        let recorder = Recorder()
        let router = Router()
        router.post("api/:method") { request, context -> Response in
            let method = context.parameters.get("method") ?? ""
            let body = try await request.body.collect(upTo: 10 * 1024 * 1024)
            let isForm = request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true
            let arguments = isForm ? FakeSlack.formArguments(String(buffer: body)) : JSONValue.decode(body.readableBytesView) ?? .null
            return await recorder.answer(method: method, arguments: arguments, authorization: request.headers[.authorization], isForm: isForm)
        }
        router.post("upload/:file") { request, context -> Response in
            let body = try await request.body.collect(upTo: 200 * 1024 * 1024)
            await recorder.storeUpload(id: context.parameters.get("file") ?? "", bytes: Array(body.readableBytesView))
            return Response(status: .ok)
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "fake-slack"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: {
                var logger = Logger(label: "fake-slack")
                logger.logLevel = .critical
                return logger
            }()
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw CancellationError() }
            let fake = FakeSlack(port: port, recorder: recorder)
            await recorder.setPort(port)
            return try await body(fake)
        }
    }

    static func formArguments(_ body: String) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[parts[0]] = .string(parts.count > 1 ? parts[1] : "")
        }
        return .object(fields)
    }

    /// One Web API call as received.
    public struct Call: Sendable {
        public let method: String
        public let arguments: JSONValue
        /// What the fake answered: `ok`, an error code, `429` or `500`.
        public let outcome: String
    }

    /// What the fake does with the next call of a method, instead of answering it normally.
    public enum Behavior: Sendable {
        case rateLimited(retryAfter: Int)
        case serverError
        case error(String)
        /// HTTP 200 with this body, whatever it holds (a reply Slack should not give, say).
        case reply(JSONValue)
    }

    public actor Recorder {
        public private(set) var calls: [Call] = []
        public private(set) var violations: [String] = []
        public private(set) var uploads: [String: [UInt8]] = [:]
        private var scripted: [String: [Behavior]] = [:]
        private var nextTS = 100
        private var port = 0

        func setPort(_ port: Int) { self.port = port }

        /// Makes the next calls of `method` behave as `behaviors`, one each, in order.
        public func script(_ method: String, _ behaviors: [Behavior]) {
            scripted[method, default: []].append(contentsOf: behaviors)
        }

        /// Successful calls of `method`.
        public func successful(_ method: String) -> [Call] {
            calls.filter { $0.method == method && $0.outcome == "ok" }
        }

        func storeUpload(id: String, bytes: [UInt8]) { uploads[id] = bytes }

        func answer(method: String, arguments: JSONValue, authorization: String?, isForm: Bool) -> Response {
            if var queue = scripted[method], !queue.isEmpty {
                let behavior = queue.removeFirst()
                scripted[method] = queue
                switch behavior {
                case .rateLimited(let seconds):
                    calls.append(Call(method: method, arguments: arguments, outcome: "429"))
                    return Response(status: .tooManyRequests, headers: [.retryAfter: String(seconds)])
                case .serverError:
                    calls.append(Call(method: method, arguments: arguments, outcome: "500"))
                    return Response(status: .internalServerError)
                case .error(let code):
                    return reply(method, arguments, ["ok": false, "error": .string(code)])
                case .reply(let body):
                    return reply(method, arguments, body)
                }
            }
            guard authorization == "Bearer \(FakeSlack.botToken)" else {
                return reply(method, arguments, ["ok": false, "error": "invalid_auth"])
            }
            if let problem = Self.blockProblem(method: method, arguments: arguments) {
                violations.append("\(method): \(problem)")
                return reply(method, arguments, ["ok": false, "error": "invalid_blocks"])
            }
            switch method {
            case "auth.test":
                return reply(method, arguments, ["ok": true, "user_id": "U0BOT0001", "team_id": "T0TEAM001"])
            case "chat.postMessage":
                guard let channel = arguments["channel"]?.stringValue else { return reply(method, arguments, ["ok": false, "error": "channel_not_found"]) }
                guard arguments["text"] != nil || arguments["blocks"] != nil else { return reply(method, arguments, ["ok": false, "error": "no_text"]) }
                nextTS += 1
                return reply(method, arguments, ["ok": true, "channel": .string(channel), "ts": .string("1732460000.\(String(format: "%06d", nextTS))")])
            case "chat.update":
                guard let channel = arguments["channel"]?.stringValue, let ts = arguments["ts"]?.stringValue else {
                    return reply(method, arguments, ["ok": false, "error": "message_not_found"])
                }
                return reply(method, arguments, ["ok": true, "channel": .string(channel), "ts": .string(ts)])
            case "chat.postEphemeral":
                nextTS += 1
                return reply(method, arguments, ["ok": true, "message_ts": .string("1732460000.\(String(format: "%06d", nextTS))")])
            case "conversations.open":
                guard let user = arguments["users"]?.stringValue else { return reply(method, arguments, ["ok": false, "error": "users_not_found"]) }
                return reply(method, arguments, ["ok": true, "channel": ["id": .string("D" + user.dropFirst())]])
            case "views.open", "views.update":
                guard arguments["view"] != nil else { return reply(method, arguments, ["ok": false, "error": "invalid_arguments"]) }
                return reply(method, arguments, ["ok": true, "view": ["id": "V0VIEW0001"]])
            case "views.publish":
                guard let user = arguments["user_id"]?.stringValue, user.hasPrefix("U") else {
                    return reply(method, arguments, ["ok": false, "error": "user_not_found"])
                }
                guard arguments["view"]?["type"]?.stringValue == "home" else { return reply(method, arguments, ["ok": false, "error": "invalid_arguments"]) }
                return reply(method, arguments, ["ok": true, "view": ["id": .string("V0HOME" + user.dropFirst(3))]])
            case "files.getUploadURLExternal":
                // Live Slack refuses a JSON body here, saying a present argument is missing.
                guard isForm, let name = arguments["filename"]?.stringValue, !name.isEmpty,
                      let length = arguments["length"]?.stringValue.flatMap(Int.init), length > 0
                else { return reply(method, arguments, ["ok": false, "error": "invalid_arguments"]) }
                nextTS += 1
                let file = "F\(nextTS)"
                return reply(method, arguments, ["ok": true, "file_id": .string(file), "upload_url": .string("http://127.0.0.1:\(port)/upload/\(file)")])
            case "files.completeUploadExternal":
                guard let files = arguments["files"]?.arrayValue, let id = files.first?["id"]?.stringValue, uploads[id] != nil else {
                    return reply(method, arguments, ["ok": false, "error": "file_not_found"])
                }
                return reply(method, arguments, ["ok": true, "files": .array(files)])
            case "chat.getPermalink":
                guard let channel = arguments["channel"]?.stringValue, let ts = arguments["message_ts"]?.stringValue else {
                    return reply(method, arguments, ["ok": false, "error": "message_not_found"])
                }
                return reply(method, arguments, ["ok": true, "channel": .string(channel),
                                                 "permalink": .string("https://example.slack.com/archives/\(channel)/p\(ts.replacingOccurrences(of: ".", with: ""))")])
            default:
                return reply(method, arguments, ["ok": false, "error": "unknown_method"])
            }
        }

        private func reply(_ method: String, _ arguments: JSONValue, _ body: JSONValue) -> Response {
            calls.append(Call(method: method, arguments: arguments, outcome: body["ok"]?.boolValue == true ? "ok" : body["error"]?.stringValue ?? "error"))
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.encoded())))
        }

        /// Slack's Block Kit limits, for messages and views: the product's stand-in's checks, so the tests and the
        /// demo refuse the same messages.
        public static func blockProblem(method: String, arguments: JSONValue) -> String? {
            let blocks = arguments["blocks"]?.arrayValue ?? arguments["view"]?["blocks"]?.arrayValue ?? []
            return tableProblem(blocks) ?? BlockKitLimits.problem(method: method, arguments: arguments)?.detail
        }

        /// The `table` block's limits (https://docs.slack.dev/reference/block-kit/blocks/table-block): one a message,
        /// 1 to 100 rows of 1 to 20 cells, each `raw_text` with a text or `rich_text`, at most 20 `column_settings`
        /// of `align` left, center or right and a boolean `is_wrapped`.
        public static func tableProblem(_ blocks: [JSONValue]) -> String? {
            let tables = blocks.filter { $0["type"]?.stringValue == "table" }
            if tables.count > 1 { return "\(tables.count) tables (limit 1)" }
            guard let table = tables.first else { return nil }
            guard let rows = table["rows"]?.arrayValue, (1...100).contains(rows.count) else { return "a table needs 1 to 100 rows" }
            for row in rows {
                guard let cells = row.arrayValue, (1...20).contains(cells.count) else { return "a table row needs 1 to 20 cells" }
                for cell in cells {
                    switch cell["type"]?.stringValue {
                    case "raw_text": if cell["text"]?.stringValue == nil { return "a raw_text cell without text" }
                    case "rich_text": continue
                    default: return "a table cell of type \(cell["type"]?.stringValue ?? "none")"
                    }
                }
            }
            guard let settings = table["column_settings"] else { return nil }
            guard let columns = settings.arrayValue, columns.count <= 20 else { return "column_settings of more than 20 columns" }
            for column in columns {
                if let align = column["align"], !["left", "center", "right"].contains(align.stringValue ?? "") { return "align \(align)" }
                if let wrapped = column["is_wrapped"], wrapped.boolValue == nil { return "is_wrapped \(wrapped)" }
            }
            return nil
        }
    }
}

/// A Slack that is never reached: every call fails as if Slack were down, for tests that must not talk to it.
public struct NoSlack: SlackWebAPI {
    public init() {}

    public func call(_ method: String, _ arguments: JSONValue) async -> SlackCallResult { .transient("no Slack in this test") }
    public func call(_ method: String, form: [String: String]) async -> SlackCallResult { .transient("no Slack in this test") }
    public func upload(to url: String, length: Int, next: @escaping @Sendable () async throws -> ByteBuffer?) async -> SlackCallResult {
        .transient("no Slack in this test")
    }
}
