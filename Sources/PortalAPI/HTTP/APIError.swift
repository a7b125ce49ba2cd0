import Foundation
import Hummingbird
import Logging
import NIOCore
import PortalStore
import QueryGateCore

/// Every API error, as JSON with a stable code: `{"error": {"code": "…", "message": "…", "field": "…"}}`.
/// Nothing internal (a stack trace, an SQL error of our own) ever reaches the body.
///
/// An `HTTPResponseError`, so that Hummingbird answers one thrown anywhere with this JSON; `APIMiddleware` turns
/// every other error of an `/api/` route into one.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let field: String?
    public var retryAfter: Int? = nil

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public static func badRequest(_ message: String, field: String?) -> APIError { APIError(.badRequest, "invalid_input", message, field: field) }
    /// One answer for every way credentials can be wrong, so that it says nothing about which part was.
    public static let unauthenticated = APIError(.unauthorized, "unauthenticated", "sign in again: the token is missing, expired or revoked")
    public static let badCredentials = APIError(.unauthorized, "invalid_credentials", "wrong e-mail address or password")
    public static let notFound = APIError(.notFound, "not_found", "there is no such resource, or none that you can see")
    public static let unsupportedMediaType = APIError(
        .unsupportedMediaType, "unsupported_media_type", "send the body as JSON, with Content-Type: application/json")
    public static let adminsOnly = APIError(.forbidden, "forbidden", "only admins may do this")

    /// The portal database did not answer in time: `database_unavailable` when nothing was recorded (try again),
    /// `outcome_unknown` when it cannot be told (look before trying again).
    static func portalUnavailable(_ outage: PortalUnavailable) -> APIError {
        var error = APIError(.serviceUnavailable, outage == .nothingRecorded ? "database_unavailable" : "outcome_unknown",
                             outage.message)
        error.retryAfter = 30
        return error
    }

    static func tooManyAttempts(retryAfter seconds: Int) -> APIError {
        var error = APIError(.tooManyRequests, "too_many_attempts", "too many failed sign-ins; try again in \(seconds / 60 + 1) minutes")
        error.retryAfter = seconds
        return error
    }

    public func response(from request: Request, context: some RequestContext) -> Response {
        var error: [String: String] = ["code": code, "message": message]
        error["field"] = field
        let body = (try? JSONEncoder().encode(["error": error])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
