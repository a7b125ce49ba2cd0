import Foundation
import Hummingbird
import Logging
import NIOCore
import PortalStore
import QueryGateCore

/// The portal's JSON API (`/api/v1`): the request workflow the Slack gateway serves, through the same store
/// functions (so the same rules, audit rows and Slack messages), behind JWT sessions.
///
/// `openapi.yaml` beside the sources describes every route; a test keeps the two in step.
public struct PortalAPI: Sendable {
    /// API bodies are small (a query is at most 20,000 characters); anything larger is refused (413) before it
    /// is read whole.
    static let maximumBodySize = 256 * 1024

    let store: PortalStore
    let tokens: TokenService
    let hasher: PasswordHasher
    let logger: Logger
    let signIns = SignInQueue()

    /// The time the portal database gets per call.
    let deadline: PortalDeadline.Budget

    public init(store: PortalStore, tokens: TokenService, hasher: PasswordHasher, deadline: PortalDeadline.Budget = .api, logger: Logger) {
        self.store = store
        self.tokens = tokens
        self.hasher = hasher
        self.deadline = deadline
        self.logger = logger
    }

    /// Registers the routes. Put `APIMiddleware` on the router first: it turns their errors into JSON.
    ///
    /// Each route's caller is authenticated here, inside the same deadline as its handler rather than in a
    /// middleware around it: authenticating reads the portal database (a revoked session), so with the database
    /// down it must end in the 503 within the budget too, and the deadline runs its work in a task that may
    /// outlive the answer, which a middleware's `next` may not.
    public func register(on router: Router<QueryGateRequestContext>) {
        let api = router.group("api/v1", context: PortalRequestContext.self)
        for route in routes {
            api.on(RouterPath(route.path), method: route.method) { request, context in
                try await withPortalDeadline {
                    var context = context
                    context.identity = try await authenticate(request, for: route.access)
                    return try await route.handler(request, context)
                }
            }
        }
    }

    /// Past the deadline the answer is a 503 that says whether anything was recorded.
    private func withPortalDeadline(_ handler: @escaping @Sendable () async throws -> Response) async throws -> Response {
        do {
            return try await PortalDeadline.answer(within: deadline, handler)
        } catch let outage as PortalUnavailable {
            throw APIError.portalUnavailable(outage)
        }
    }

    /// Every endpoint, in the order `openapi.yaml` lists them.
    var routes: [APIRoute] {
        AuthRoutes(api: self).routes + RequestRoutes(api: self).routes + DirectoryRoutes(api: self).routes + SyncRoutes(api: self).routes
    }

    /// Answers 503 on every API route when no JWT_SECRET is configured.
    public static func registerUnconfigured(on router: Router<QueryGateRequestContext>) {
        let api = router.group("api/v1")
        for method in [HTTPRequest.Method.get, .post, .delete] {
            api.on("**", method: method) { _, _ -> Response in
                throw APIError(.serviceUnavailable, "api_not_configured", "the portal API is off: set JWT_SECRET to turn it on")
            }
        }
    }

    /// Who the audit log names for what a signed-in user does through the API.
    static func actor(_ user: User) -> AuditActor {
        AuditActor(userID: user.id, label: user.email, source: .api)
    }

    /// The API's door for bodies: JSON only (415 otherwise), at most `maximumBodySize` (413), decodable as `T`
    /// (400 naming the field), and no text PostgreSQL refuses anywhere in it (400 naming the field, `InputText`).
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        try requireJSON(request.headers[.contentType])
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBodySize)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "payload_too_large", "the body is over \(maximumBodySize / 1024) KiB; a request's query is at most \(NewRequest.maximumQueryLength) characters")
        }
        let data = Data(body.readableBytesView)
        do {
            if let path = try JSONDecoder().decode(UnstorableTextProbe.self, from: data).path {
                throw InputText.refusal(field: path.isEmpty ? "body" : path.joined(separator: "."))
            }
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError.badRequest("the body is not the JSON this endpoint takes (\(describe(error)))", field: field(of: error))
        }
    }

    /// `application/json`, with no parameter but `charset=utf-8` (JSON is UTF-8; RFC 8259).
    static func requireJSON(_ contentType: String?) throws(APIError) {
        let parts = (contentType ?? "").split(separator: ";").map { $0.trimmingSpaces().lowercased().replacingOccurrences(of: " ", with: "") }
        guard parts.first == "application/json", parts.dropFirst().allSatisfy({ $0 == "charset=utf-8" || $0 == "charset=\"utf-8\"" }) else {
            throw APIError.unsupportedMediaType
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    private static func field(of error: DecodingError) -> String? {
        switch error {
        case .keyNotFound(let key, _): key.stringValue
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): context.codingPath.last?.stringValue
        @unknown default: nil
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "\(key.stringValue) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        case .dataCorrupted: "it is not valid JSON"
        @unknown default: "it could not be read"
        }
    }
}
