import Foundation
import Hummingbird
import Logging
import NIOCore
import QueryGateCore

/// The HTTP answers the Slack endpoints give.
enum SlackResponses {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.encoded())))
    }

    /// A message only the person who typed the command sees.
    static func ephemeral(_ text: String, blocks: [JSONValue]? = nil) -> Response {
        var message: [String: JSONValue] = ["response_type": "ephemeral", "text": .string(text)]
        if let blocks { message["blocks"] = .array(blocks) }
        return json(.object(message))
    }

    /// Acknowledges an interaction; Slack needs a 200 within 3 seconds and reads nothing else.
    static func acknowledge() -> Response { Response(status: .ok) }

    /// Field errors shown under the modal's inputs.
    static func viewErrors(_ errors: [String: String]) -> Response {
        json(["response_action": "errors", "errors": .object(errors.mapValues { .string($0) })])
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}
