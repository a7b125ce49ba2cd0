import Hummingbird
import Logging

/// The headers every answer carries, whatever the path (`/healthz`, `/readyz`, `/slack/*`, `/api/*`, paths no
/// route matches) and whether the route answered or threw: nothing QueryGate serves is meant to be sniffed,
/// framed, cached or to carry a referrer, and nothing is HTML, so the content security policy denies everything
/// (the demo's console, the one page, sets a policy of its own that allows only its own script and style).
///
/// The outermost middleware of the router (`QueryGateApp.router`), so that it also frames the API's errors and
/// the router's own 404s.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            response = Response(status: .internalServerError)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        // A route that serves a page (the demo's console) sets its own narrower-than-the-web policy; nothing else does.
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        }
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
