import Hummingbird

/// One endpoint of the API: the routes are data, so that the OpenAPI test can compare what is served with what
/// `openapi.yaml` says, in both directions.
struct APIRoute: Sendable {
    typealias Handler = @Sendable (Request, QueryGateRequestContext) async throws -> Response

    let method: HTTPRequest.Method
    /// Relative to `/api/v1`, with Hummingbird's `:name` parameters (`requests/:id`).
    let path: String
    let handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.handler = handler
    }

    /// The path as OpenAPI writes it: `/api/v1/requests/{id}`.
    var openAPIPath: String {
        "/api/v1/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }
}
