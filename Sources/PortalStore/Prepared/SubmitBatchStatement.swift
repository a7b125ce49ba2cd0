import PostgresNIO
import QueryGateCore

/// `querygate_record_submissions` (migrations 018, 019): several submissions in one statement and one transaction,
/// each judged as `SubmitStatement` judges it alone, recorded together. What `SubmissionBatcher` sends when
/// submissions have queued.
///
/// The values go as one array per parameter. The driver cannot put a NULL in an array, so the function reads
/// "none" from sentinels: '' for no Slack account and no label, 0 for no requester id and no pod id, -1 for no level.
/// None is a real value: a Slack member id is never empty (`SlackUserID`), ids start at 1, levels at 0.
struct SubmitBatchStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT item, outcome, database_type, request_id, pod_name, channel, approvals_required,
               approver_names, approver_emails, approver_slack_ids
        FROM querygate_record_submissions($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::int[], $14::int[], $15::int)
        """
    static let bindingDataTypes: [PostgresDataType] =
        [.textArray, .int8Array, .int8Array, .textArray] + Array(repeating: .textArray, count: 8) + [.int8Array, .int8Array, .int8]
    /// The submission answered (from 1), then `SubmitStatement.Row`.
    typealias Row = (Int, String, String?, Int?, String?, String?, Int?, [String]?, [String]?, [String]?)

    let submissions: [SubmissionValues]
    /// The least time any of them has left, nil when none has a deadline.
    let millisecondsLeft: Int?

    func makeBindings() throws -> PostgresBindings {
        var slackAccounts: [String] = [], requesterIDs: [Int] = [], podIDs: [Int] = [], labels: [String] = []
        var texts = Array(repeating: [String](), count: 8)
        var postgresqlLevels: [Int] = [], mongodbLevels: [Int] = []
        for submission in submissions {
            switch submission.requester {
            case .person(let id, let podID, let label):
                slackAccounts.append("")
                requesterIDs.append(id)
                podIDs.append(podID)
                labels.append(label)
            case .slackAccount(let slackUserID):
                slackAccounts.append(slackUserID)
                requesterIDs.append(0)
                podIDs.append(0)
                labels.append("")
            }
            for (index, text) in submission.texts.enumerated() { texts[index].append(text) }
            postgresqlLevels.append(submission.postgresqlLevel ?? -1)
            mongodbLevels.append(submission.mongodbLevel ?? -1)
        }
        var bindings = PostgresBindings(capacity: 15)
        bindings.append(slackAccounts)
        bindings.append(requesterIDs)
        bindings.append(podIDs)
        bindings.append(labels)
        for column in texts { bindings.append(column) }
        bindings.append(postgresqlLevels)
        bindings.append(mongodbLevels)
        bindings.append(millisecondsLeft)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
