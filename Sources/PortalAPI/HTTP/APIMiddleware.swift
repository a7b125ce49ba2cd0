import Hummingbird
import Logging
import QueryGateCore

/// The frame around every `/api/` answer, matched or not: whatever a route throws becomes a JSON error
/// (`APIError`), and browsers on the configured origins (and only those) get CORS. The security headers are
/// set for every path, API or not, by the server's `SecurityHeadersMiddleware`.
///
/// Added to the router before any route, so that it also answers paths no route matches and CORS preflights.
public struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    static var pathPrefix: String { "/api/" }

    /// Exact origins, lower-cased (`https://portal.example.com`).
    let allowedOrigins: Set<String>

    public init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins.map { $0.lowercased() })
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix(Self.pathPrefix) else { return try await next(request, context) }
        let origin = request.headers[.origin]
        let allowedOrigin = origin.flatMap { allowedOrigins.contains($0.lowercased()) ? $0 : nil }

        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = allowedOrigin == nil
                ? APIError(.forbidden, "origin_not_allowed", "this origin may not call the QueryGate API").response(from: request, context: context)
                : Self.preflight()
        } else {
            response = await Self.answer(request, context: context, next: next)
        }
        if let allowedOrigin {
            response.headers[.accessControlAllowOrigin] = allowedOrigin
            response.headers[.accessControlExposeHeaders] = "Location, Retry-After"
        }
        if origin != nil { response.headers[.vary] = "Origin" }
        return response
    }

    /// The route's answer, or the JSON error for what it threw.
    private static func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async -> Response {
        do {
            return try await next(request, context)
        } catch {
            return apiError(for: error, request, context).response(from: request, context: context)
        }
    }

    /// The API's words for an error: its own as they are, a domain validation as `invalid_input` naming the field,
    /// Hummingbird's (a 404 of the router, a body too large) with a code of their own. Anything else is logged
    /// with its cause and answered with nothing about it.
    private static func apiError(for error: any Error, _ request: Request, _ context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ValidationError:
            return APIError.badRequest(error.message, field: error.field)
        case let error as HTTPError:
            let code = switch error.status {
            case .contentTooLarge: "payload_too_large"
            case .notFound: "not_found"
            case .badRequest: "invalid_input"
            default: "http_error"
            }
            let message = error.status == .notFound ? APIError.notFound.message : error.body ?? error.status.reasonPhrase
            return APIError(error.status, code, message)
        default:
            context.logger.error("API request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return APIError(.internalServerError, "internal_error", "something went wrong on our side; it has been logged")
        }
    }

    private static func preflight() -> Response {
        Response(status: .noContent, headers: [
            .accessControlAllowMethods: "GET, POST, DELETE",
            .accessControlAllowHeaders: "Authorization, Content-Type",
            .accessControlMaxAge: "600",
        ])
    }
}
