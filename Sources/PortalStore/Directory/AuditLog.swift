import Foundation
import PostgresNIO
import QueryGateCore

/// One line of the audit trail, written in the same transaction as the change it describes.
struct AuditEntry: Sendable {
    let actor: AuditActor
    let action: AuditAction
    let entityType: String
    let entityID: String?
    /// Facts worth keeping beside the action. Never a secret.
    let details: [String: String]
}

extension PortalStore {
    static func appendAudit(_ entry: AuditEntry, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(try insertion(of: entry), logger: logger)
    }

    /// An audit row on its own, one statement that is its own transaction (a refused click changes nothing else).
    func auditInOneStatement(_ entry: AuditEntry) async throws {
        let query = try Self.insertion(of: entry)
        let logger = self.logger
        try await inOneStatement { _ in try await self.client.query(query, logger: logger) }
    }

    private static func insertion(of entry: AuditEntry) throws -> PostgresQuery {
        let details = String(decoding: try JSONEncoder.sorted.encode(entry.details), as: UTF8.self)
        return """
            INSERT INTO audit_logs (actor_user_id, actor_label, source, action, entity_type, entity_id, details)
            VALUES (\(entry.actor.userID), \(entry.actor.label), \(entry.actor.source.rawValue), \(entry.action.rawValue),
                    \(entry.entityType), \(entry.entityID), \(details)::jsonb)
            """
    }

    /// Records an action that changed nothing, such as a click by someone QueryGate does not know.
    public func audit(_ actor: AuditActor, action: AuditAction, entityType: String, entityID: String?, details: [String: String] = [:]) async throws {
        try await auditInOneStatement(AuditEntry(actor: actor, action: action, entityType: entityType, entityID: entityID, details: details))
    }

    /// The newest audit rows (older than row `before`, when given), newest first: what an operator reads to
    /// see who did what.
    public func recentAuditEntries(limit: Int = 50, before: Int? = nil) async throws -> [AuditRecord] {
        let rows = try await client.query(
            """
            SELECT id, actor_label, source, action, entity_type, entity_id, details::text, created_at
            FROM audit_logs WHERE \(before)::bigint IS NULL OR id < \(before) ORDER BY id DESC LIMIT \(limit)
            """,
            logger: logger
        )
        var records: [AuditRecord] = []
        for try await (id, actor, source, action, entityType, entityID, details, createdAt) in rows.decode(
            (Int, String, String, String, String, String?, String, Date).self)
        {
            records.append(AuditRecord(id: id, actorLabel: actor, source: source, action: action, entityType: entityType,
                                       entityID: entityID, detailsJSON: details, createdAt: createdAt))
        }
        return records
    }
}

/// An audit row as read back.
public struct AuditRecord: Sendable, Equatable {
    public let id: Int
    public let actorLabel: String
    public let source: String
    public let action: String
    public let entityType: String
    public let entityID: String?
    public let detailsJSON: String
    public let createdAt: Date

    /// For a twin's rows; the store reads its own from `audit_logs`.
    public init(id: Int, actorLabel: String, source: String, action: String, entityType: String, entityID: String?, detailsJSON: String,
                createdAt: Date) {
        self.id = id
        self.actorLabel = actorLabel
        self.source = source
        self.action = action
        self.entityType = entityType
        self.entityID = entityID
        self.detailsJSON = detailsJSON
        self.createdAt = createdAt
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
