import Foundation
import Hummingbird
import NIOCore
import QueryGateCore

/// The console's routes under `/console`: the page and its script and style, the workspace as one person sees
/// it (`GET /console/state?as=U…`), what that person does (`POST /console/command`, `click`, `home`, `suggest`,
/// `submit`, `close`), and file downloads.
///
/// Served on loopback only, by the demo. Every answer checks the `Host` header (a page elsewhere cannot reach it
/// through DNS rebinding), and every POST must be JSON (a cross-site form cannot send one without a CORS
/// preflight, which nothing here answers).
public struct ConsoleRoutes: Sendable {
    let console: SlackConsole
    /// The `Host` values the console answers to: `127.0.0.1:<port>` and `localhost:<port>`.
    let allowedHosts: Set<String>

    public init(console: SlackConsole, port: Int) {
        self.console = console
        self.allowedHosts = ["127.0.0.1:\(port)", "localhost:\(port)"]
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        let group = router.group("console").add(middleware: ConsoleGuard<Context>(allowedHosts: allowedHosts))
        group.get { _, _ in Self.asset(ConsolePage.html, type: "text/html; charset=utf-8") }
        group.get("console.js") { _, _ in Self.asset(ConsolePage.script, type: "text/javascript; charset=utf-8") }
        group.get("console.css") { _, _ in Self.asset(ConsolePage.style, type: "text/css; charset=utf-8") }
        let console = self.console
        group.get("state") { request, _ -> Response in
            let user = request.uri.queryParameters.get("as") ?? ""
            return Self.json(await ConsoleState.render(console.workspace, for: user))
        }
        group.get("files/:id") { _, context -> Response in
            guard let (file, bytes) = await console.workspace.file(context.parameters.get("id") ?? "") else { return Response(status: .notFound) }
            let type = file.name.hasSuffix(".csv") ? "text/csv; charset=utf-8"
                : file.name.hasSuffix(".jsonl") ? "application/x-ndjson; charset=utf-8" : "application/octet-stream"
            let safeName = String(file.name.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || "0123456789._-".unicodeScalars.contains($0)) })
            return Response(status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(safeName)\""],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        group.post("command") { request, _ -> Response in
            try await Self.act(request, console.workspace) { body, user in
                try await console.command(body["text"]?.stringValue ?? "", as: user, in: body["channel"]?.stringValue ?? "")
                return ["ok": true]
            }
        }
        group.post("click") { request, _ -> Response in
            try await Self.act(request, console.workspace) { body, user in
                let (actionID, value, blockID) = (body["action_id"]?.stringValue ?? "", body["value"]?.stringValue, body["block_id"]?.stringValue)
                if body["surface"]?.stringValue == "home" {
                    try await console.clickInHome(actionID: actionID, value: value, blockID: blockID, as: user)
                } else {
                    try await console.click(actionID: actionID, value: value, blockID: blockID, message: body["ts"]?.stringValue ?? "",
                                            in: body["channel"]?.stringValue ?? "", as: user)
                }
                return ["ok": true]
            }
        }
        group.post("home") { request, _ -> Response in
            try await Self.act(request, console.workspace) { _, user in
                try await console.openHome(as: user)
                return ["ok": true]
            }
        }
        group.post("suggest") { request, _ -> Response in
            try await Self.act(request, console.workspace) { body, user in
                try await console.suggestions(
                    actionID: body["action_id"]?.stringValue ?? "", blockID: body["block_id"]?.stringValue ?? "",
                    typed: body["value"]?.stringValue ?? "", as: user)
            }
        }
        group.post("submit") { request, _ -> Response in
            try await Self.act(request, console.workspace) { body, user in
                try await console.submit(values: body["values"] ?? [:], as: user)
                return ["ok": true]
            }
        }
        group.post("close") { request, _ -> Response in
            try await Self.act(request, console.workspace) { _, user in
                await console.workspace.closeModal(for: user)
                return ["ok": true]
            }
        }
    }

    /// Reads the JSON body and the person acting (`as`), who must be one of the workspace's people.
    static func act(_ request: Request, _ workspace: SlackWorkspace, _ body: (JSONValue, String) async throws -> JSONValue) async throws -> Response {
        let bytes = try await request.body.collect(upTo: 1024 * 1024)
        guard let json = JSONValue.decode(bytes.readableBytesView), let user = json["as"]?.stringValue else {
            return Self.json(["ok": false, "error": "the body must be JSON with the person acting in \"as\""], status: .badRequest)
        }
        guard await workspace.people.contains(where: { $0.id == user }) else {
            return Self.json(["ok": false, "error": .string("\(user) is not one of the console's people")], status: .badRequest)
        }
        do {
            return Self.json(try await body(json, user))
        } catch {
            return Self.json(["ok": false, "error": .string("\(error)")], status: .badGateway)
        }
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers: HTTPFields = [.contentType: type]
        // The page's own script and style, nothing inline, nothing from elsewhere.
        headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.encoded())))
    }
}

/// Refuses a request to the console whose `Host` is not the loopback address it is served on, and a POST that
/// is not JSON.
struct ConsoleGuard<Context: RequestContext>: RouterMiddleware {
    let allowedHosts: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let host = request.head.authority, allowedHosts.contains(host) else {
            return Response(status: .misdirectedRequest)
        }
        if request.method == .post, request.headers[.contentType]?.hasPrefix("application/json") != true {
            return Response(status: .unsupportedMediaType)
        }
        return try await next(request, context)
    }
}
