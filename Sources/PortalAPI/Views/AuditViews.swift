import Foundation
import PortalStore
import QueryGateCore

// What the API returns about the audit log, in the API's own snake_case words, kept apart from the
// domain types so that renaming a Swift property never changes the API (openapi.yaml describes these).

struct AuditEntryView: Encodable {
    let id: Int
    let actor: String
    let source: String
    let action: String
    let entity_type: String
    let entity_id: String?
    let details: [String: String]
    let created_at: Date

    init(_ record: AuditRecord) {
        id = record.id
        actor = record.actorLabel
        source = record.source
        action = record.action
        entity_type = record.entityType
        entity_id = record.entityID
        details = (try? JSONDecoder().decode([String: String].self, from: Data(record.detailsJSON.utf8))) ?? [:]
        created_at = record.createdAt
    }
}

struct AuditList: Encodable {
    let entries: [AuditEntryView]
    let next_cursor: String?
}
