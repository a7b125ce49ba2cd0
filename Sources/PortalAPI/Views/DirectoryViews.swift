import Foundation
import PortalStore
import QueryGateCore

// What the API returns about the instances and databases a request can name, in the API's own snake_case
// words, kept apart from the domain types so that renaming a Swift property never changes the API
// (openapi.yaml describes these).

struct InstanceView: Encodable {
    let name: String
    let type: String
    let description: String?
    let is_active: Bool
    let database_count: Int
    /// When the last sync ended, and whether it succeeded; absent before the first.
    let last_sync_at: Date?
    let last_sync_status: String?

    init(_ instance: DatabaseInstance) {
        name = instance.name
        type = instance.type.rawValue
        description = instance.description
        is_active = instance.isActive
        database_count = instance.databaseCount
        last_sync_at = instance.lastSyncAt
        last_sync_status = instance.lastSyncStatus
    }
}

struct DatabaseView: Encodable {
    let target: String
    let instance: String
    let name: String
    let type: String
    let description: String?

    init(_ database: TargetDatabase) {
        target = "\(database.instanceName)/\(database.name)"
        instance = database.instanceName
        name = database.name
        type = database.instanceType.rawValue
        description = database.description
    }
}
