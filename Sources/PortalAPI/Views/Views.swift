import Foundation
import PortalStore
import QueryGateCore

// What the API returns, in the API's own snake_case words, kept apart from the domain types so that renaming a
// Swift property never changes the API (openapi.yaml describes these).

struct UserView: Encodable {
    let id: Int
    let email: String
    let name: String
    let role: String
    let pod: String?
    let slack_user_id: String?

    init(_ user: User) {
        id = user.id
        email = user.email
        name = user.name
        role = user.role.rawValue
        pod = user.podName
        slack_user_id = user.slackUserID
    }
}

struct PersonView: Encodable {
    let name: String
    let email: String

    init?(_ person: RequestDetails.Person?) {
        guard let person else { return nil }
        name = person.name
        email = person.email
    }
}

struct RequestView: Encodable {
    struct Risk: Encodable {
        let level: String
        let read_only: Bool
        let warnings: [String]
    }

    struct Execution: Encodable {
        let started_at: Date?
        let finished_at: Date?
        let result: ResultView?
        let error: ErrorView?
    }

    let id: Int
    let status: String
    let type: String
    let target: String
    let database_type: String
    let query: String
    let reason: String
    let pod: String
    let requester: PersonView?
    let approver: PersonView?
    let rejecter: PersonView?
    let rejection_reason: String?
    let created_at: Date
    let decided_at: Date?
    let risk: Risk
    let execution: Execution?

    init(_ request: RequestDetails) {
        id = request.id
        status = request.status.rawValue
        type = request.submissionType.rawValue
        target = request.target
        database_type = request.databaseType.rawValue
        query = request.queryText
        reason = request.reason
        pod = request.podName
        requester = PersonView(request.requester)
        approver = PersonView(request.approver)
        rejecter = PersonView(request.rejecter)
        rejection_reason = request.rejectionReason
        created_at = request.createdAt
        decided_at = request.decidedAt
        let assessment = RiskAnalysis.assess(request.queryText, on: request.databaseType)
        risk = Risk(level: assessment.level.label, read_only: assessment.isReadOnly, warnings: assessment.warnings)
        if request.executionStartedAt == nil, request.outcome == nil {
            execution = nil
        } else {
            var result: ResultView?
            var error: ErrorView?
            switch request.outcome {
            case .completed(let completed): result = ResultView(completed)
            case .failed(let failure): error = ErrorView(failure)
            case nil: break
            }
            execution = Execution(started_at: request.executionStartedAt, finished_at: request.executionFinishedAt, result: result, error: error)
        }
    }
}

struct ResultView: Encodable {
    struct Statement: Encodable {
        let command: String
        let rows_affected: Int?
        let rows_returned: Int?
    }

    struct Preview: Encodable {
        let columns: [String]
        let rows: [[String?]]
        let total_rows: Int
        let rows_kept: Int
    }

    let statements: [Statement]
    let preview: Preview?
    let notices: [String]
    let milliseconds: Int
    let export_bytes: Int?

    init(_ result: ExecutionResult) {
        statements = result.statements.map { Statement(command: $0.command, rows_affected: $0.rowsAffected, rows_returned: $0.rowsReturned) }
        preview = result.preview.map {
            Preview(columns: $0.columns.map(\.name), rows: $0.rows, total_rows: $0.totalRows, rows_kept: $0.rowsKept)
        }
        notices = result.notices
        milliseconds = result.milliseconds
        export_bytes = result.exportBytes
    }
}

struct ErrorView: Encodable {
    let message: String
    let sql_state: String?
    let position: Int?
    let detail: String?
    let hint: String?

    init(_ failure: ExecutionFailure) {
        message = failure.message
        sql_state = failure.sqlState
        position = failure.position
        detail = failure.detail
        hint = failure.hint
    }
}

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

struct SessionView: Encodable {
    let id: String
    let device: String?
    let ip_address: String?
    let created_at: Date
    let last_used_at: Date?
    let expires_at: Date
    let current: Bool

    init(_ session: PortalStore.Session, current: Bool) {
        id = session.id.uuidString
        device = session.deviceInfo
        ip_address = session.ipAddress
        created_at = session.createdAt
        last_used_at = session.lastUsedAt
        expires_at = session.expiresAt
        self.current = current
    }
}
