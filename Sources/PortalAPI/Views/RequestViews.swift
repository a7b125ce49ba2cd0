import Foundation
import QueryGateCore

// What the API returns about requests and how they ran, in the API's own snake_case words, kept apart from the
// domain types so that renaming a Swift property never changes the API (openapi.yaml describes these).

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
    /// The approval that moved it (the last one needed).
    let approver: PersonView?
    /// How many distinct approvals it needs, and everyone whose approval counted so far, in order.
    let approvals_required: Int
    let approvals: [PersonView]
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
        approvals_required = request.approvalsRequired
        approvals = request.approvals.compactMap(PersonView.init)
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

struct PersonView: Encodable {
    let name: String
    let email: String

    init?(_ person: RequestDetails.Person?) {
        guard let person else { return nil }
        name = person.name
        email = person.email
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

struct RequestList: Encodable {
    let requests: [RequestView]
    /// Pass as `cursor` for the next page; absent on the last page.
    let next_cursor: String?
}
