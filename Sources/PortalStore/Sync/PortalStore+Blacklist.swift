import Foundation
import PostgresNIO
import QueryGateCore

extension PortalStore {
    /// Adds a pattern, after PostgreSQL itself has compiled it when it is a regex (so that no sync ever meets a
    /// pattern it cannot run), and audits it. It takes effect at the next sync.
    ///
    /// - Throws: `ValidationError` for an unknown instance, an invalid regex or a pattern the scope already has;
    ///   nothing is written then.
    @discardableResult
    public func addBlacklistPattern(_ new: NewBlacklistPattern, by actor: AuditActor) async throws -> BlacklistEntry {
        let logger = self.logger
        if new.kind == .regex {
            do {
                _ = try await client.query("SELECT '' ~ \(new.pattern)", logger: logger).decode(Bool.self).first { _ in true }
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "2201B" {
                throw ValidationError(field: "pattern", "'\(new.pattern.prefix(80))' is not a valid regex: \(error.serverInfo?[.message] ?? "invalid")")
            }
        }
        let scope = new.instance.map { "instance '\($0)'" } ?? "every instance"
        return try await translatingUniqueViolations([
            "database_blacklist_scope_pattern_key": ValidationError(field: "pattern", "the blacklist of \(scope) already has '\(new.pattern.prefix(80))'")
        ]) {
            try await transaction { connection in
                var instanceID: Int?
                if let instance = new.instance {
                    instanceID = try await connection.query(
                        "SELECT id FROM database_instances WHERE name = \(instance.rawValue)", logger: logger
                    ).decode(Int.self).first { _ in true }
                    guard instanceID != nil else {
                        throw ValidationError.noInstance(named: instance)
                    }
                }
                let row = try await connection.query(
                    """
                    INSERT INTO database_blacklist (instance_id, pattern, kind, reason)
                    VALUES (\(instanceID), \(new.pattern), \(new.kind.rawValue), \(new.reason))
                    RETURNING id, created_at
                    """,
                    logger: logger
                ).decode((Int, Date).self).first { _ in true }
                guard let (id, createdAt) = row else { throw UnexpectedPortalState("INSERT INTO database_blacklist returned no id") }
                var details = ["pattern": new.pattern, "kind": new.kind.rawValue]
                details["instance"] = new.instance?.rawValue
                details["reason"] = new.reason
                try await Self.appendAudit(
                    AuditEntry(actor: actor, action: .blacklistPatternAdded, entityType: "database_blacklist", entityID: String(id), details: details),
                    on: connection, logger: logger)
                return BlacklistEntry(id: id, pattern: new.pattern, kind: new.kind, instanceName: new.instance?.rawValue, reason: new.reason,
                                      createdAt: createdAt)
            }
        }
    }

    /// Removes the pattern of a scope (`instance` nil: every instance), and audits it. Names it hid are added at
    /// the next sync.
    /// - Throws: `ValidationError` for an unknown instance, or when the scope has no such pattern.
    public func removeBlacklistPattern(_ pattern: String, instance: InstanceName?, by actor: AuditActor) async throws {
        let logger = self.logger
        try await transaction { connection in
            var instanceID: Int?
            if let instance {
                // Looked up first: an unknown name must not fall through to the patterns of every instance.
                instanceID = try await connection.query(
                    "SELECT id FROM database_instances WHERE name = \(instance.rawValue)", logger: logger
                ).decode(Int.self).first { _ in true }
                guard instanceID != nil else {
                    throw ValidationError.noInstance(named: instance)
                }
            }
            let removed = try await Self.deleteBlacklistPattern(
                """
                DELETE FROM database_blacklist b
                WHERE b.pattern = \(pattern) AND b.instance_id IS NOT DISTINCT FROM \(instanceID)::bigint
                RETURNING b.id, b.pattern, b.kind, \(instance?.rawValue)::text
                """,
                by: actor, on: connection, logger: logger)
            guard removed else {
                let scope = instance.map { "instance '\($0)'" } ?? "every instance"
                throw ValidationError(field: "pattern", "the blacklist of \(scope) has no pattern '\(pattern.prefix(80))' (see `querygate blacklist list`)")
            }
        }
    }

    /// Removes the pattern with this id (as `listBlacklist` gives it), and audits it.
    /// - Returns: `false` when there is none; nothing is written then.
    public func removeBlacklistPattern(id: Int, by actor: AuditActor) async throws -> Bool {
        let logger = self.logger
        return try await transaction { connection in
            try await Self.deleteBlacklistPattern(
                """
                DELETE FROM database_blacklist b WHERE b.id = \(id)
                RETURNING b.id, b.pattern, b.kind, (SELECT name FROM database_instances WHERE id = b.instance_id)
                """,
                by: actor, on: connection, logger: logger)
        }
    }

    /// Runs a DELETE … RETURNING id, pattern, kind, instance name, and audits the row it removed, if any.
    private static func deleteBlacklistPattern(
        _ delete: PostgresQuery, by actor: AuditActor, on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        let removed = try await connection.query(delete, logger: logger).decode((Int, String, String, String?).self).first { _ in true }
        guard let (id, pattern, kind, instance) = removed else { return false }
        var details = ["pattern": pattern, "kind": kind]
        details["instance"] = instance
        try await appendAudit(
            AuditEntry(actor: actor, action: .blacklistPatternRemoved, entityType: "database_blacklist", entityID: String(id), details: details),
            on: connection, logger: logger)
        return true
    }

    /// The patterns that apply to `instance` (its own and the global ones), or every pattern.
    public func listBlacklist(instance: InstanceName? = nil) async throws -> [BlacklistEntry] {
        let rows = try await client.query(
            """
            SELECT b.id, b.pattern, b.kind, i.name, b.reason, b.created_at
            FROM database_blacklist b LEFT JOIN database_instances i ON i.id = b.instance_id
            WHERE \(instance?.rawValue)::text IS NULL OR i.name IS NULL OR i.name = \(instance?.rawValue)
            ORDER BY i.name NULLS FIRST, b.pattern
            """,
            logger: logger)
        var entries: [BlacklistEntry] = []
        for try await (id, pattern, kind, instanceName, reason, createdAt) in rows.decode((Int, String, String, String?, String?, Date).self) {
            entries.append(BlacklistEntry(id: id, pattern: pattern, kind: try BlacklistKind(portalValue: kind, column: "database_blacklist.kind"),
                                          instanceName: instanceName, reason: reason, createdAt: createdAt))
        }
        return entries
    }
}
