import Foundation
import PortalStore
import QueryGateCore

/// `SessionStore` in memory: the portal API's sessions without a database, for route tests. It keeps the
/// PostgreSQL implementation's rules (one row per refresh token, families, rotation once, a spent token that comes
/// back ends its family, expiry, deactivated users locked out, failures counted per account and address), and
/// `SessionContractTests` runs the same sessions through both to keep the two alike.
public actor MemorySessionStore: SessionStore {
    struct Token {
        let userID: Int
        let hash: String
        let family: UUID
        var device: String?
        var ip: String?
        let createdAt: Date
        var lastUsedAt: Date?
        let expiresAt: Date
        var revoked = false
    }

    private var accounts: [Int: PortalStore.LoginAccount] = [:]
    private var tokens: [Token] = []
    private var failures: [(account: String, ip: String?, at: Date)] = []
    /// Log-ins, rotations and ends, as the audit log would name them.
    public private(set) var audit: [AuditAction] = []

    public init() {}

    /// Adds (or replaces) an account; deactivating one is adding it again with `isActive: false`.
    public func add(_ user: User, passwordHash: String?) {
        accounts[user.id] = PortalStore.LoginAccount(user: user, passwordHash: passwordHash)
    }

    /// Deactivates an account as `PortalStore.setUserActive` does: its sessions end with it.
    public func deactivate(email: String) {
        guard let account = accounts.values.first(where: { $0.user.email == email }) else { return }
        let user = account.user
        accounts[user.id] = PortalStore.LoginAccount(
            user: User(id: user.id, email: user.email, name: user.name, role: user.role, podID: user.podID, podName: user.podName,
                       slackUserID: user.slackUserID, isActive: false),
            passwordHash: account.passwordHash)
        for index in tokens.indices where tokens[index].userID == user.id { tokens[index].revoked = true }
    }

    public func loginAccount(email: EmailAddress) async throws -> PortalStore.LoginAccount? {
        accounts.values.first { $0.user.email == email.rawValue }
    }

    public func startSession(userID: Int, email: String, tokenHash: String, device: String?, ip: String?, expiresAt: Date) async throws -> UUID {
        let family = UUID()
        tokens.append(Token(userID: userID, hash: tokenHash, family: family, device: device, ip: ip, createdAt: Date(), expiresAt: expiresAt))
        audit.append(.loggedIn)
        return family
    }

    public func rotateSession(tokenHash: String, newTokenHash: String, device: String?, ip: String?) async throws -> PortalStore.Rotation {
        guard let index = tokens.firstIndex(where: { $0.hash == tokenHash }) else { return .refused }
        let token = tokens[index]
        if token.revoked {
            for other in tokens.indices where tokens[other].family == token.family { tokens[other].revoked = true }
            audit.append(.refreshTokenReused)
            return .reused
        }
        guard token.expiresAt > Date(), accounts[token.userID]?.user.isActive == true else { return .refused }
        tokens[index].revoked = true
        tokens[index].lastUsedAt = Date()
        tokens.append(Token(userID: token.userID, hash: newTokenHash, family: token.family, device: device, ip: ip, createdAt: Date(),
                            lastUsedAt: Date(), expiresAt: token.expiresAt))
        return .rotated(userID: token.userID, session: token.family)
    }

    public func accessIsValid(userID: Int, session: UUID) async throws -> User? {
        guard let user = accounts[userID]?.user, user.isActive,
              tokens.contains(where: { $0.family == session && $0.userID == userID && !$0.revoked && $0.expiresAt > Date() })
        else { return nil }
        return user
    }

    public func endSession(_ session: UUID, of user: User, reason: String) async throws -> Bool {
        let live = tokens.indices.filter { tokens[$0].family == session && tokens[$0].userID == user.id && !tokens[$0].revoked }
        guard !live.isEmpty else { return false }
        for index in live { tokens[index].revoked = true }
        audit.append(.loggedOut)
        return true
    }

    public func endAllSessions(of user: User) async throws {
        for index in tokens.indices where tokens[index].userID == user.id { tokens[index].revoked = true }
        audit.append(.loggedOutEverywhere)
    }

    public func liveSessions(of userID: Int) async throws -> [PortalStore.Session] {
        tokens.filter { $0.userID == userID && !$0.revoked && $0.expiresAt > Date() }.reversed().map { token in
            let created = tokens.filter { $0.family == token.family }.map(\.createdAt).min() ?? token.createdAt
            return PortalStore.Session(id: token.family, deviceInfo: token.device, ipAddress: token.ip, createdAt: created,
                                       lastUsedAt: token.lastUsedAt, expiresAt: token.expiresAt)
        }
    }

    public func recordLoginFailure(account: String, ip: String?) async throws {
        failures.append((account, ip, Date()))
        audit.append(.loginFailed)
    }

    public func recentLoginFailures(account: String, ip: String?, within window: Duration) async throws -> (account: Int, address: Int) {
        let since = Date().addingTimeInterval(-Double(window.components.seconds))
        let recent = failures.filter { $0.at > since }
        let address = (ip ?? "").isEmpty ? 0 : recent.filter { $0.ip == ip }.count
        return (recent.filter { $0.account == account }.count, address)
    }

    public func user(id: Int) async throws -> User? {
        accounts[id]?.user
    }
}
