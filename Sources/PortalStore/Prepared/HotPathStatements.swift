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
// (their columns, `querygate_submit`'s result) needs `querygate serve` restarted, as any migration does.

/// The person behind a Slack member id: the first question of a Slack request (a submission asks it in its own statement).
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

/// What both submission statements record: the request, its audit row's source and action, and its levels.
struct SubmissionRecording {
    let source: String
    let submittedVia: String
    let action: String
    let instance: String
    let database: String
    let submissionType: String
    let queryText: String
    let reason: String
    let postgresqlLevel: Int?
    let mongodbLevel: Int?
    let millisecondsLeft: Int?

    init(_ request: NewRequest, _ levels: SubmissionRules.Levels, source: AuditSource, door: SubmissionDoor, millisecondsLeft: Int?) {
        self.source = source.rawValue
        submittedVia = door.rawValue
        action = AuditAction.requestSubmitted.rawValue
        instance = request.target.instance.rawValue
        database = request.target.database.rawValue
        submissionType = request.submissionType.rawValue
        queryText = request.queryText
        reason = request.reason
        postgresqlLevel = try? levels.postgresql.get().rawValue
        mongodbLevel = try? levels.mongodb.get().rawValue
        self.millisecondsLeft = millisecondsLeft
    }

    /// Eight texts, then three optional integers (int8 here, cast to the functions' int4 by the server).
    static let bindingDataTypes: [PostgresDataType] = Array(repeating: .text, count: 8) + [.int8, .int8, .int8]

    func append(to bindings: inout PostgresBindings) {
        for text in [source, submittedVia, action, instance, database, submissionType, queryText, reason] {
            bindings.append(text)
        }
        bindings.append(postgresqlLevel)
        bindings.append(mongodbLevel)
        bindings.append(millisecondsLeft)
    }
}

/// `querygate_submit` (migration 013): a submission in one statement.
struct SubmitStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT outcome, database_type, request_id, pod_name, channel, approvals_required, approvers::text
        FROM querygate_submit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::int, $13::int, $14::int)
        """
    /// Two ids and the actor's label, then the recording's.
    static let bindingDataTypes: [PostgresDataType] = [.int8, .int8, .text] + SubmissionRecording.bindingDataTypes
    typealias Row = (String, String?, Int?, String?, String?, Int?, String?)

    let requesterID: Int
    let podID: Int
    let actorLabel: String
    let recording: SubmissionRecording

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 14)
        bindings.append(requesterID)
        bindings.append(podID)
        bindings.append(actorLabel)
        recording.append(to: &bindings)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// `querygate_submit_by_slack_user` (migration 017): a Slack submission, its person looked up, in one statement.
struct SubmitBySlackUserStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT outcome, database_type, request_id, pod_name, channel, approvals_required, approvers::text
        FROM querygate_submit_by_slack_user($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::int, $11::int, $12::int)
        """
    static let bindingDataTypes: [PostgresDataType] = [.text] + SubmissionRecording.bindingDataTypes
    typealias Row = SubmitStatement.Row

    let slackUserID: String
    let recording: SubmissionRecording

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 12)
        bindings.append(slackUserID)
        recording.append(to: &bindings)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
