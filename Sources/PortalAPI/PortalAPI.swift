import Foundation
import Hummingbird
import Logging
import PortalStore
import QueryGateCore

/// The portal's JSON API (`/api/v1`): the request workflow the Slack gateway serves, through the same store
/// functions (so the same rules, audit rows and Slack messages), behind JWT sessions.
///
/// `openapi.yaml` beside the sources describes every route; a test keeps the two in step.
public struct PortalAPI: Sendable {
    let store: PortalStore
    /// Sign-in, rotation, sign-out and authentication; the store itself unless a test gives a twin.
    let sessions: any SessionStore
    /// Submissions, reads, lists and decisions of requests; the store itself unless a test gives a twin.
    let requests: any RequestRepository
    /// Instances, target search, the audit log, syncs and the blacklist; the store itself unless a test gives a twin.
    let directory: any Directory
    let tokens: TokenService
    let hasher: PasswordHasher
    let logger: Logger
    let signIns = SignInQueue()

    /// The time the portal database gets per call.
    let deadline: PortalDeadline.Budget

    public init(store: PortalStore, sessions: (any SessionStore)? = nil, requests: (any RequestRepository)? = nil,
                directory: (any Directory)? = nil, tokens: TokenService, hasher: PasswordHasher,
                deadline: PortalDeadline.Budget = .api, logger: Logger) {
        self.store = store
        self.sessions = sessions ?? store
        self.requests = requests ?? store
        self.directory = directory ?? store
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
}
