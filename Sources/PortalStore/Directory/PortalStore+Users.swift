import Foundation
import PostgresNIO
import QueryGateCore

extension PortalStore {
    /// Creates a user in their pod and audits it. E-mail addresses and Slack ids are unique.
    @discardableResult
    public func addUser(_ user: NewUser, by actor: AuditActor) async throws -> User {
        let logger = self.logger
        let (id, podID) = try await translatingUniqueViolations([
            "users_email_key": ValidationError(field: "email", "a user with e-mail \(user.email) already exists"),
            "users_slack_user_id_key": ValidationError(
                field: "slack-id", "Slack user \(user.slackUserID?.rawValue ?? "") already belongs to another portal user"),
        ]) {
            try await transaction { connection in
                var podID: Int? = nil
                if let pod = user.pod { podID = try await Self.podID(named: pod, on: connection, logger: logger) }
                let id = try await connection.query(
                    """
                    INSERT INTO users (email, name, role, pod_id, slack_user_id)
                    VALUES (\(user.email.rawValue), \(user.name), \(user.role.rawValue), \(podID), \(user.slackUserID?.rawValue))
                    RETURNING id
                    """,
                    logger: logger
                ).insertedID(into: "users")
                var details = ["email": user.email.rawValue, "role": user.role.rawValue]
                details["pod"] = user.pod?.rawValue
                details["slack_user_id"] = user.slackUserID?.rawValue
                try await Self.appendAudit(
                    AuditEntry(actor: actor, action: .userCreated, entityType: "user", entityID: String(id), details: details),
                    on: connection, logger: logger)
                return (id, podID)
            }
        }
        return User(id: id, email: user.email.rawValue, name: user.name, role: user.role, podID: podID, podName: user.pod?.rawValue,
                    slackUserID: user.slackUserID?.rawValue, isActive: true)
    }

    /// Users by e-mail, optionally only those of one pod.
    public func listUsers(pod: PodName? = nil) async throws -> [User] {
        try await users(
            where: "WHERE $1::text IS NULL OR p.name = $1", binding: pod?.rawValue)
    }

    /// The portal user a Slack account belongs to, active or not; nil for a stranger.
    public func user(slackUserID: String) async throws -> User? {
        for try await (id, email, name, role, podID, podName, slackID, isActive) in try await client.execute(
            UserBySlackIDStatement(slackUserID: slackUserID), logger: logger)
        {
            return User(id: id, email: email, name: name, role: try Role(portalValue: role, column: "users.role"), podID: podID,
                        podName: podName, slackUserID: slackID, isActive: isActive)
        }
        return nil
    }

    public func user(id: Int) async throws -> User? {
        try await users(where: "WHERE u.id = $1::bigint", binding: String(id)).first
    }

    /// One query for every way of looking users up; `condition` is a constant string of this module, and its
    /// parameters (`$1`, `$2`…) are bound.
    func users(where condition: StaticString, binding values: String?...) async throws -> [User] {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        let sql = """
            SELECT u.id, u.email, u.name, u.role, u.pod_id, p.name, u.slack_user_id, u.is_active
            FROM users u LEFT JOIN pods p ON p.id = u.pod_id
            \(condition)
            ORDER BY u.email
            """
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        var users: [User] = []
        for try await (id, email, name, role, podID, podName, slackID, isActive) in rows.decode(
            (Int, String, String, String, Int?, String?, String?, Bool).self)
        {
            users.append(User(id: id, email: email, name: name, role: try Role(portalValue: role, column: "users.role"), podID: podID,
                              podName: podName, slackUserID: slackID, isActive: isActive))
        }
        return users
    }

    /// Activates or deactivates a user. An inactive user can neither request nor approve; their history stays.
    ///
    /// Deactivation also revokes every portal session (refresh token) the user has, in the same transaction, so
    /// that activating them again later brings none of those sessions back: they sign in afresh. The audit row
    /// says how many sessions ended.
    public func setUserActive(email: EmailAddress, active: Bool, by actor: AuditActor) async throws {
        let logger = self.logger
        try await transaction { connection in
            let id = try await connection.query(
                "UPDATE users SET is_active = \(active), updated_at = now() WHERE email = \(email.rawValue) RETURNING id",
                logger: logger
            ).decode(Int.self).first { _ in true }
            guard let id else { throw ValidationError(field: "email", "there is no user with e-mail \(email)") }
            var details = ["email": email.rawValue]
            if !active {
                let ended = try await connection.query(
                    """
                    UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'user deactivated'
                    WHERE user_id = \(id) AND revoked_at IS NULL RETURNING family_id
                    """,
                    logger: logger
                ).decode(UUID.self).reduce(into: Set<UUID>()) { $0.insert($1) }
                details["sessions_ended"] = String(ended.count)
            }
            try await Self.appendAudit(
                AuditEntry(actor: actor, action: active ? .userActivated : .userDeactivated, entityType: "user",
                           entityID: String(id), details: details),
                on: connection, logger: logger)
        }
    }
}
