import Foundation
import QueryGateCore

/// What the portal API's sign-in, token rotation, sign-out and authentication need of the portal database: the
/// sessions (refresh-token families), the accounts they belong to, and the failed sign-ins that limit guessing.
///
/// `PortalStore` is the implementation on PostgreSQL (its own tests, against the real server, cover its SQL and
/// its concurrency); the tests' `MemorySessionStore` is a twin in memory, held to the same contract by tests that
/// run against both, so that route tests of the API's sessions need no database.
public protocol SessionStore: Sendable {
    func loginAccount(email: EmailAddress) async throws -> PortalStore.LoginAccount?
    /// Starts a session (a new family) with its first refresh token, stored as its hash; returns the family.
    func startSession(userID: Int, email: String, tokenHash: String, device: String?, ip: String?, expiresAt: Date) async throws -> UUID
    /// Exchanges a refresh token for a new one in the same family, once; a spent token presented again ends the family.
    func rotateSession(tokenHash: String, newTokenHash: String, device: String?, ip: String?) async throws -> PortalStore.Rotation
    /// The user, when they are active and the session is live: checked on every API call.
    func accessIsValid(userID: Int, session: UUID) async throws -> User?
    /// Ends one of the user's sessions; false when it is not theirs or not live.
    func endSession(_ session: UUID, of user: User, reason: String) async throws -> Bool
    func endAllSessions(of user: User) async throws
    func liveSessions(of userID: Int) async throws -> [PortalStore.Session]
    func recordLoginFailure(account: String, ip: String?) async throws
    func recentLoginFailures(account: String, ip: String?, within window: Duration) async throws -> (account: Int, address: Int)
    func user(id: Int) async throws -> User?
}

extension PortalStore: SessionStore {}
