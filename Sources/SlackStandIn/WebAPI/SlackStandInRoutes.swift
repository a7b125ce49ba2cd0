import Foundation
import Hummingbird
import NIOCore
import QueryGateCore

/// The stand-in's HTTP side: `POST /standin/api/<method>` answers like `https://slack.com/api/<method>` (so
/// `SLACK_API_URL` points at `…/standin/api`), and `POST /standin/upload/<file>` takes a file's bytes like the
/// upload URL Slack hands out. Only the demo and the tests mount it: `querygate serve` never does.
public struct SlackStandInRoutes: Sendable {
    public let workspace: SlackWorkspace

    public init(workspace: SlackWorkspace) {
        self.workspace = workspace
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        let workspace = self.workspace
        router.post("standin/api/:method") { request, context -> Response in
            let method = context.parameters.get("method") ?? ""
            let body = try await request.body.collect(upTo: 10 * 1024 * 1024)
            let isForm = request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true
            let arguments = isForm ? Self.formArguments(String(buffer: body)) : JSONValue.decode(body.readableBytesView) ?? .null
            let reply = await workspace.answer(method: method, arguments: arguments, authorization: request.headers[.authorization], isForm: isForm)
            var headers: HTTPFields = [:]
            if let seconds = reply.retryAfter { headers[.retryAfter] = String(seconds) }
            guard let json = reply.body else { return Response(status: .init(code: reply.status), headers: headers) }
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .init(code: reply.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.encoded())))
        }
        router.post("standin/upload/:file") { request, context -> Response in
            let body = try await request.body.collect(upTo: 200 * 1024 * 1024)
            let stored = await workspace.storeUpload(id: context.parameters.get("file") ?? "", bytes: Array(body.readableBytesView))
            return Response(status: stored ? .ok : .notFound)
        }
    }

    /// A form body as the Web API reads it: every field a string.
    public static func formArguments(_ body: String) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[parts[0]] = .string(parts.count > 1 ? parts[1] : "")
        }
        return .object(fields)
    }
}
