import Foundation
import Hummingbird
import NIOCore
import PortalStore
import QueryGateCore

/// `/api/v1/auth/…`: sign-in, token rotation, sign-out, and the user's sessions.
struct AuthRoutes: Sendable {
    let api: PortalAPI

    /// Failed sign-ins allowed per account and per client address within `window`, before 429.
    static let accountLimit = 5
    static let addressLimit = 20
    static let window: Duration = .seconds(15 * 60)

    struct LoginBody: Decodable {
        let email: String
        let password: String
        let device: String?
    }

    struct RefreshBody: Decodable {
        let refresh_token: String
        let device: String?
    }

    var routes: [APIRoute] {
        [
            APIRoute(.post, "auth/login", access: .anyone) { request, context in try await login(request, context) },
            APIRoute(.post, "auth/refresh", access: .anyone) { request, context in try await refresh(request, context) },
            APIRoute(.post, "auth/logout") { _, context in
                let caller = try context.caller
                try await api.sessions.endSession(caller.session, of: caller.user, reason: "logout")
                return Response(status: .noContent)
            },
            APIRoute(.post, "auth/logout-all") { _, context in
                let caller = try context.caller
                try await api.sessions.endAllSessions(of: caller.user)
                return Response(status: .noContent)
            },
            APIRoute(.get, "auth/sessions") { _, context in
                let caller = try context.caller
                let sessions = try await api.sessions.liveSessions(of: caller.user.id)
                return try context.json(["sessions": sessions.map { SessionView($0, current: $0.id == caller.session) }])
            },
            APIRoute(.delete, "auth/sessions/:id") { _, context in
                let caller = try context.caller
                guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
                      try await api.sessions.endSession(id, of: caller.user, reason: "ended by the user")
                else { throw APIError.notFound }
                return Response(status: .noContent)
            },
        ]
    }

    private func login(_ request: Request, _ context: PortalRequestContext) async throws -> Response {
        let body = try await context.decode(LoginBody.self, from: request)
        let account = try? EmailAddress(body.email)
        // Failures count against the address as QueryGate reads it, so " Maria@x.com" is the same account.
        let accountKey = account?.rawValue ?? body.email.lowercased()
        // One sign-in per account at a time: parallel guesses would otherwise all pass the count before any failed.
        await api.signIns.acquire(accountKey)
        do {
            let response = try await attemptLogin(body, account: account, accountKey: accountKey, request: request, context: context)
            await api.signIns.release(accountKey)
            return response
        } catch {
            await api.signIns.release(accountKey)
            throw error
        }
    }

    private func attemptLogin(
        _ body: LoginBody, account: EmailAddress?, accountKey: String, request: Request, context: PortalRequestContext
    ) async throws -> Response {
        let ip = context.clientAddress
        let failures = try await api.sessions.recentLoginFailures(account: accountKey, ip: ip, within: Self.window)
        guard failures.account < Self.accountLimit, failures.address < Self.addressLimit else {
            throw APIError.tooManyAttempts(retryAfter: Int(Self.window.components.seconds))
        }
        var found: PortalStore.LoginAccount?
        if let account { found = try await api.sessions.loginAccount(email: account) }
        let matches = try await api.hasher.verify(body.password, against: found?.passwordHash)
        guard matches, let user = found?.user, user.isActive else {
            try await api.sessions.recordLoginFailure(account: accountKey, ip: ip)
            throw APIError.badCredentials
        }
        let refresh = TokenService.newRefreshToken()
        let device = Self.deviceName(body.device, request)
        let session = try await api.sessions.startSession(
            userID: user.id, email: user.email, tokenHash: refresh.hash, device: device, ip: ip,
            expiresAt: Date().addingTimeInterval(api.tokens.refreshLifetime.timeInterval))
        return try await tokenPair(for: user, session: session, refreshToken: refresh.token, context)
    }

    private func refresh(_ request: Request, _ context: PortalRequestContext) async throws -> Response {
        let body = try await context.decode(RefreshBody.self, from: request)
        let next = TokenService.newRefreshToken()
        let rotation = try await api.sessions.rotateSession(
            tokenHash: TokenService.hash(body.refresh_token), newTokenHash: next.hash,
            device: Self.deviceName(body.device, request), ip: context.clientAddress)
        switch rotation {
        case .rotated(let userID, let session):
            guard let user = try await api.sessions.user(id: userID) else { throw APIError.unauthenticated }
            return try await tokenPair(for: user, session: session, refreshToken: next.token, context)
        case .reused:
            throw APIError(.unauthorized, "refresh_token_reused",
                           "this refresh token was already used, so the session has been ended everywhere it was open; sign in again")
        case .refused:
            throw APIError.unauthenticated
        }
    }

    /// The device a session is listed under: the name the body gives (checked at the door), else the browser's
    /// User-Agent, which no door checked, so it is dropped if PostgreSQL could not store it. At most 200 characters.
    static func deviceName(_ given: String?, _ request: Request) -> String? {
        (given ?? request.headers[.userAgent]).map { String($0.prefix(200)) }.flatMap { InputText.isStorable($0) ? $0 : nil }
    }

    private func tokenPair(for user: User, session: UUID, refreshToken: String, _ context: PortalRequestContext) async throws -> Response {
        let access = try await api.tokens.accessToken(userID: user.id, session: session)
        return try context.json(TokenPair(
            access_token: access, token_type: "Bearer", expires_in: Int(api.tokens.accessLifetime.components.seconds),
            refresh_token: refreshToken, refresh_expires_in: Int(api.tokens.refreshLifetime.components.seconds),
            user: UserView(user)))
    }
}
