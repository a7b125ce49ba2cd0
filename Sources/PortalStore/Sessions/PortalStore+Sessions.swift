import Foundation
import PostgresNIO
import QueryGateCore

/// Portal sessions (the seed's RefreshTokens.SQL): one row per refresh token, stored as its SHA-256 hash only.
/// The tokens of one log-in share a family, which is the session: rotation replaces the token within its family,
/// and a revoked token presented again revokes the whole family (it was stolen, or its thief already used it).
extension PortalStore {
    public struct Session: Sendable, Equatable {
        /// The family: stable across rotations, what the access token names and `DELETE /sessions/{id}` takes.
        public let id: UUID
        public let deviceInfo: String?
        public let ipAddress: String?
        public let createdAt: Date
        public let lastUsedAt: Date?
        public let expiresAt: Date

        public init(id: UUID, deviceInfo: String?, ipAddress: String?, createdAt: Date, lastUsedAt: Date?, expiresAt: Date) {
            self.id = id
            self.deviceInfo = deviceInfo
            self.ipAddress = ipAddress
            self.createdAt = createdAt
            self.lastUsedAt = lastUsedAt
            self.expiresAt = expiresAt
        }
    }

    /// What log-in needs to know about an account.
    public struct LoginAccount: Sendable {
        public let user: User
        public let passwordHash: String?

        public init(user: User, passwordHash: String?) {
            self.user = user
            self.passwordHash = passwordHash
        }
    }

    public enum Rotation: Sendable, Equatable {
        case rotated(userID: Int, session: UUID)
        /// A revoked token came back: its whole family is now revoked.
        case reused
        /// Unknown, expired, or belonging to a deactivated user.
        case refused
    }

    public func loginAccount(email: EmailAddress) async throws -> LoginAccount? {
        let row = try await client.query(
            "SELECT id, password_hash FROM users WHERE email = \(email.rawValue)", logger: logger
        ).decode((Int, String?).self).first { _ in true }
        guard let (id, hash) = row, let user = try await user(id: id) else { return nil }
        return LoginAccount(user: user, passwordHash: hash)
    }

    /// Sets a user's bcrypt hash (computed by the caller, off the event loop) and ends every session they have
    /// open, so that a password reset locks out whoever held the old one. Audited with the number ended.
    public func setPasswordHash(_ hash: String, for email: EmailAddress, by actor: AuditActor) async throws {
        let logger = self.logger
        try await transaction { connection in
            let id = try await connection.query(
                "UPDATE users SET password_hash = \(hash), updated_at = now() WHERE email = \(email.rawValue) RETURNING id", logger: logger
            ).decode(Int.self).first { _ in true }
            guard let id else { throw ValidationError(field: "email", "there is no user with e-mail \(email)") }
            let ended = try await connection.query(
                """
                UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'password changed'
                WHERE user_id = \(id) AND revoked_at IS NULL RETURNING family_id
                """,
                logger: logger
            ).decode(UUID.self).reduce(into: Set<UUID>()) { $0.insert($1) }
            try await Self.appendAudit(
                AuditEntry(actor: actor, action: .passwordSet, entityType: "user", entityID: String(id),
                           details: ["sessions_ended": String(ended.count)]),
                on: connection, logger: logger)
        }
    }

    /// Starts a session after a successful log-in: a new family with its first refresh token.
    public func startSession(userID: Int, email: String, tokenHash: String, device: String?, ip: String?, expiresAt: Date) async throws -> UUID {
        let logger = self.logger
        let family = UUID()
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO refresh_tokens (user_id, token_hash, family_id, device_info, ip_address, expires_at)
                VALUES (\(userID), \(tokenHash), \(family), \(device), \(ip), \(expiresAt))
                """,
                logger: logger)
            try await connection.query("UPDATE users SET last_login_at = now() WHERE id = \(userID)", logger: logger)
            try await Self.appendAudit(
                AuditEntry(actor: AuditActor(userID: userID, label: email, source: .api), action: .loggedIn, entityType: "session",
                           entityID: family.uuidString, details: ["device": device ?? "", "ip": ip ?? ""]),
                on: connection, logger: logger)
        }
        return family
    }

    /// Exchanges a refresh token for a new one in the same session, once. The new token expires when the session
    /// does: `JWT_REFRESH_EXPIRES_DAYS` after sign-in, however often it is refreshed.
    public func rotateSession(tokenHash: String, newTokenHash: String, device: String?, ip: String?) async throws -> Rotation {
        let logger = self.logger
        return try await transaction { connection in
            let row = try await connection.query(
                """
                SELECT t.id, t.user_id, t.family_id, t.revoked_at IS NOT NULL, t.expires_at, u.is_active
                FROM refresh_tokens t JOIN users u ON u.id = t.user_id
                WHERE t.token_hash = \(tokenHash)
                FOR UPDATE OF t
                """,
                logger: logger
            ).decode((Int, Int, UUID, Bool, Date, Bool).self).first { _ in true }
            guard let (id, userID, family, revoked, expiresAt, active) = row else { return .refused }
            if revoked {
                try await connection.query(
                    """
                    UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'reuse of a revoked token'
                    WHERE family_id = \(family) AND revoked_at IS NULL
                    """,
                    logger: logger)
                try await Self.appendAudit(
                    AuditEntry(actor: AuditActor(userID: userID, label: "api", source: .api), action: .refreshTokenReused,
                               entityType: "session", entityID: family.uuidString, details: ["ip": ip ?? ""]),
                    on: connection, logger: logger)
                return .reused
            }
            guard expiresAt > Date(), active else { return .refused }
            let newID = try await connection.query(
                """
                INSERT INTO refresh_tokens (user_id, token_hash, family_id, device_info, ip_address, expires_at, last_used_at)
                VALUES (\(userID), \(newTokenHash), \(family), \(device), \(ip), \(expiresAt), now())
                RETURNING id
                """,
                logger: logger
            ).decode(Int.self).first { _ in true }
            try await connection.query(
                """
                UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'rotated', replaced_by = \(newID), last_used_at = now()
                WHERE id = \(id)
                """,
                logger: logger)
            return .rotated(userID: userID, session: family)
        }
    }

    /// Whether an access token of `userID` for `session` still stands: the user is active and the session is live.
    /// Checked on every API call, so that logging out (one session or all) voids the session's access tokens at
    /// once rather than when they expire.
    public func accessIsValid(userID: Int, session: UUID) async throws -> User? {
        try await users(
            where: """
                WHERE u.id = $1::bigint AND u.is_active
                  AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = $2::uuid AND t.user_id = u.id
                              AND t.revoked_at IS NULL AND t.expires_at > now())
                """,
            binding: String(userID), session.uuidString
        ).first
    }

    /// Ends one session of a user (log out, or `DELETE /sessions/{id}`); false if it was not theirs or not live.
    @discardableResult
    public func endSession(_ session: UUID, of user: User, reason: String) async throws -> Bool {
        let logger = self.logger
        return try await transaction { connection in
            let ended = try await connection.query(
                """
                UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = \(reason)
                WHERE family_id = \(session) AND user_id = \(user.id) AND revoked_at IS NULL
                RETURNING id
                """,
                logger: logger
            ).decode(Int.self).first { _ in true }
            guard ended != nil else { return false }
            try await Self.appendAudit(
                AuditEntry(actor: AuditActor(userID: user.id, label: user.email, source: .api), action: .loggedOut, entityType: "session",
                           entityID: session.uuidString, details: ["reason": reason]),
                on: connection, logger: logger)
            return true
        }
    }

    /// Ends every session of the user, which voids every access token issued until now (see `accessIsValid`).
    public func endAllSessions(of user: User) async throws {
        let logger = self.logger
        try await transaction { connection in
            try await connection.query(
                "UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'logout everywhere' WHERE user_id = \(user.id) AND revoked_at IS NULL",
                logger: logger)
            try await Self.appendAudit(
                AuditEntry(actor: AuditActor(userID: user.id, label: user.email, source: .api), action: .loggedOutEverywhere, entityType: "user",
                           entityID: String(user.id), details: [:]),
                on: connection, logger: logger)
        }
    }

    /// The user's live sessions, newest first: each family's current token.
    public func liveSessions(of userID: Int) async throws -> [Session] {
        let rows = try await client.query(
            """
            SELECT t.family_id, t.device_info, t.ip_address,
                   (SELECT min(f.created_at) FROM refresh_tokens f WHERE f.family_id = t.family_id), t.last_used_at, t.expires_at
            FROM refresh_tokens t
            WHERE t.user_id = \(userID) AND t.revoked_at IS NULL AND t.expires_at > now()
            ORDER BY t.created_at DESC
            """,
            logger: logger)
        var sessions: [Session] = []
        for try await (family, device, ip, created, lastUsed, expires) in rows.decode((UUID, String?, String?, Date, Date?, Date).self) {
            sessions.append(Session(id: family, deviceInfo: device, ipAddress: ip, createdAt: created, lastUsedAt: lastUsed, expiresAt: expires))
        }
        return sessions
    }

    /// Records a failed log-in (for the audit log and the rate limit); `account` is the e-mail address as read
    /// (or, when it is not one, what was typed, lower-cased).
    public func recordLoginFailure(account: String, ip: String?) async throws {
        try await audit(AuditActor(userID: nil, label: "api", source: .api), action: .loginFailed, entityType: "session", entityID: nil,
                        details: ["email": account, "ip": ip ?? ""])
    }

    /// Failed log-ins within `window`, for this account and for this client address, counted from the audit log
    /// so that every replica sees the same numbers.
    public func recentLoginFailures(account: String, ip: String?, within window: Duration) async throws -> (account: Int, address: Int) {
        try await client.query(
            """
            SELECT count(*) FILTER (WHERE details->>'email' = \(account)),
                   count(*) FILTER (WHERE \(ip ?? "")::text <> '' AND details->>'ip' = \(ip ?? ""))
            FROM audit_logs
            WHERE action = \(AuditAction.loginFailed.rawValue) AND created_at > now() - make_interval(secs => \(window.timeInterval))
            """,
            logger: logger
        ).decode((Int, Int).self).first { _ in true } ?? (0, 0)
    }
}
