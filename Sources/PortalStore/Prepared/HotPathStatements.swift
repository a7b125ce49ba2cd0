import PostgresNIO
import QueryGateCore

// The statements every Slack submission runs, prepared once per connection (postgres-nio keeps them by name), so
// that the server parses and plans each once rather than on every request. Their values are bound, as always.
//
// Each declares its parameters' types. Left to postgres-nio, they would be read off the first call's bindings,
// where a nil has no type: the server would then type that parameter by its cast (`$13::int`, int4) and refuse
// every later call that sends an int8 in it ("incorrect binary data format in bind parameter 13").
//
// A prepared statement lives as long as its connection: a migration that changes what these statements return
// (their columns, `querygate_record_submission`'s result) needs `querygate serve` restarted, as any migration does.

/// The person behind a Slack member id: the first question of a Slack request (a submission asks it in the
/// statement that records it).
struct UserBySlackIDStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT u.id, u.email, u.name, u.role, u.pod_id, p.name, u.slack_user_id, u.is_active
        FROM users u LEFT JOIN pods p ON p.id = u.pod_id
        WHERE u.slack_user_id = $1
        """
    static let bindingDataTypes: [PostgresDataType] = [.text]
    typealias Row = (Int, String, String, String, Int?, String?, String?, Bool)

    let slackUserID: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(slackUserID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// One submission as the submission statements send it: who, through which door, what, and its level on each engine.
struct SubmissionValues: Sendable {
    enum Requester: Sendable {
        case person(id: Int, podID: Int, label: String)
        case slackAccount(String)
    }

    let requester: Requester
    let source: AuditSource
    let door: SubmissionDoor
    let request: NewRequest
    let levels: SubmissionRules.Levels

    /// The eight texts after the requester, in the functions' order.
    var texts: [String] {
        let target = request.target
        return [source.rawValue, door.rawValue, AuditAction.requestSubmitted.rawValue, target.instance.rawValue,
                target.database.rawValue, request.submissionType.rawValue, request.queryText, request.reason]
    }

    /// The level on each engine, nil where the text cannot run there.
    var postgresqlLevel: Int? { try? levels.postgresql.get().rawValue }
    var mongodbLevel: Int? { try? levels.mongodb.get().rawValue }
}

/// `querygate_record_submission` (migration 017; since 019 the batch function over one-element arrays): a submission
/// in one statement, by a person the caller knows or by the person behind a Slack account, whom the statement looks up.
struct SubmitStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT outcome, database_type, request_id, pod_name, channel, approvals_required,
               approver_names, approver_emails, approver_slack_ids
        FROM querygate_record_submission($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::int, $14::int, $15::int)
        """
    /// A Slack account, two ids and a label (one side or the other is nil), eight texts, and three optional
    /// integers (int8 here, cast to the function's int4 by the server).
    static let bindingDataTypes: [PostgresDataType] =
        [.text, .int8, .int8, .text] + Array(repeating: .text, count: 8) + [.int8, .int8, .int8]
    /// The outcome, the target's engine, the request, its pod and channel, its approvals, and its approvers' names,
    /// emails and Slack accounts ('' for none), in the same order.
    typealias Row = (String, String?, Int?, String?, String?, Int?, [String]?, [String]?, [String]?)

    let submission: SubmissionValues
    let millisecondsLeft: Int?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 15)
        switch submission.requester {
        case .person(let id, let podID, let label):
            bindings.append(String?.none)
            bindings.append(id)
            bindings.append(podID)
            bindings.append(label)
        case .slackAccount(let slackUserID):
            bindings.append(slackUserID)
            bindings.append(Int?.none)
            bindings.append(Int?.none)
            bindings.append(String?.none)
        }
        for text in submission.texts { bindings.append(text) }
        bindings.append(submission.postgresqlLevel)
        bindings.append(submission.mongodbLevel)
        bindings.append(millisecondsLeft)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
