import Foundation
import PortalStore
import QueryGateCore

extension PortalStore.ClaimedRequest {
    /// A PostgreSQL request as the executor receives it, for the in-memory queue.
    static func sample(_ id: Int, text: String? = nil) -> PortalStore.ClaimedRequest {
        PortalStore.ClaimedRequest(
            id: id, submissionType: .query, queryText: text ?? "SELECT \(id)", databaseName: "app", databaseType: .postgresql,
            credentials: .success(.environmentPrefix(try! EnvironmentVariableName("PG_INSTANCE_1", field: "prefix"))))
    }
}
