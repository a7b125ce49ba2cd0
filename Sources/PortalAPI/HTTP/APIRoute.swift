import Hummingbird

/// One endpoint of the API: the routes are data, so that the OpenAPI test can compare what is served with what
/// `openapi.yaml` says, in both directions.
struct APIRoute: Sendable {
    typealias Handler = @Sendable (Request, PortalRequestContext) async throws -> Response

    /// Who may call the route. Signed-in users unless the route says otherwise, so that a new route cannot be
    /// left open by forgetting to ask for credentials.
    enum Access: Sendable {
        /// No credentials: signing in and rotating tokens, which are how a caller gets them.
        case anyone
        /// A valid access token; the handler finds its user in `context.caller`.
        case signedIn
        /// A valid access token of an admin.
        case admins
    }

    let method: HTTPRequest.Method
    /// Relative to `/api/v1`, with Hummingbird's `:name` parameters (`requests/:id`).
    let path: String
    let access: Access
    let handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, access: Access = .signedIn, _ handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.access = access
        self.handler = handler
    }

    /// The path as OpenAPI writes it: `/api/v1/requests/{id}`.
    var openAPIPath: String {
        "/api/v1/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }
}
