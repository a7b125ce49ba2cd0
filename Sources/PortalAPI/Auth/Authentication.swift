import Foundation
import Hummingbird
import PortalStore
import QueryGateCore

/// A signed-in user of the API, and the session their access token belongs to.
struct Caller: Sendable {
    let user: User
    let session: UUID
}

extension PortalAPI {
    /// Who may call a route, checked before its handler runs: 401 `unauthenticated` without valid credentials,
    /// 403 `forbidden` for a signed-in user who is not allowed.
    func authenticate(_ request: Request, for access: APIRoute.Access) async throws -> Caller? {
        switch access {
        case .anyone:
            return nil
        case .signedIn:
            return try await authenticate(request)
        case .admins:
            let caller = try await authenticate(request)
            guard caller.user.role == .admin else { throw APIError.adminsOnly }
            return caller
        }
    }

    /// The signed-in user behind the request's bearer token. The same answer for every way the credentials can
    /// be wrong (missing, malformed, expired, revoked, a deactivated user).
    private func authenticate(_ request: Request) async throws -> Caller {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              let claims = await tokens.verify(String(header.dropFirst("Bearer ".count))),
              let user = try await sessions.accessIsValid(userID: claims.userID, session: claims.session)
        else { throw APIError.unauthenticated }
        return Caller(user: user, session: claims.session)
    }
}
