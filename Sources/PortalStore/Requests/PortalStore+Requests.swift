import Foundation
import PostgresNIO
import QueryGateCore

extension PortalStore {
    /// A request just recorded, and who will decide on it.
    public struct Submitted: Sendable, Equatable {
        public let id: Int
        public let target: String
        public let podName: String
        /// The pod's approval channel, where the request is posted.
        public let channelID: String
        /// The pod's active managers; admins may decide too.
        public let approvers: [RequestDetails.Person]
        /// How many of them must approve (`ApprovalQuorum`).
        public let approvalsRequired: Int

        public init(id: Int, target: String, podName: String, channelID: String, approvers: [RequestDetails.Person], approvalsRequired: Int) {
            self.id = id
            self.target = target
            self.podName = podName
            self.channelID = channelID
            self.approvers = approvers
            self.approvalsRequired = approvalsRequired
        }
    }

    /// A Slack submission's outcome: recorded, or refused because the account is nobody's or a deactivated
    /// person's (the route answers those as it answers any other request from them).
    public enum SlackSubmission: Sendable, Equatable {
        case submitted(Submitted)
        case stranger
        case deactivated
    }

    /// Records a request and queues its approval message, with its audit row, in one round trip: the text's
    /// validity and risk for each engine are decided here (`SubmissionRules`), the rest by
    /// `querygate_record_submission` (migrations 013, 015, 017, 019), one statement that is its own transaction and
    /// commits within the caller's deadline or not at all. Submissions that queue behind another on its way go
    /// together, in one such statement (`SubmissionBatcher`, migrations 018 and 019), each answered as if alone.
    ///
    /// - Throws: `ValidationError` for an unknown, disabled or vanished target, a text its engine refuses, or a
    ///   requester who cannot submit.
    public func submit(_ request: NewRequest, by requester: User, via source: AuditSource) async throws -> Submitted {
        let podID = try SubmissionRules.pod(of: requester)
        switch try await record(request, by: .person(id: requester.id, podID: podID, label: requester.email), via: source) {
        case .submitted(let submitted): return submitted
        case .stranger, .deactivated: throw UnexpectedPortalState("querygate_record_submission looked up a person it was given")
        }
    }

    /// `submit(_:by:via:)` for the person behind a Slack account, looked up in the same statement (migration
    /// 017): `/query`'s one round trip.
    ///
    /// - Throws: `ValidationError` as `submit(_:by:via:)` does.
    public func submit(_ request: NewRequest, bySlackUser slackUserID: String, via source: AuditSource) async throws -> SlackSubmission {
        try await record(request, by: .slackAccount(slackUserID), via: source)
    }

    private func record(_ request: NewRequest, by requester: SubmissionValues.Requester, via source: AuditSource) async throws -> SlackSubmission {
        // What the text is for each engine, before the target's engine is known: a level, or why it cannot run there.
        let levels = SubmissionRules.Levels(request)
        let answer = try await submissions.submit(
            SubmissionValues(requester: requester, source: source, door: try Self.door(of: source), request: request, levels: levels))
        switch answer.0 {
        case "stranger": return .stranger
        case "deactivated": return .deactivated
        case "in_no_pod": throw SubmissionRules.requesterInNoPod
        default: return .submitted(try submitted(answer, request, levels))
        }
    }

    /// How submissions queue and go together (`SubmissionBatcher`).
    struct SubmissionBatching: Sendable {
        var maximumInFlight: Int
        var maximumBatch: Int
        var patience: Duration

        /// One statement out at a time, and up to 32 submissions in it: at 16 connections, submissions then go about
        /// 7.5 at a time, and QueryGate answered 2.4-2.6 times as many as the Bolt app (medians of scripts/benchmark
        /// submissions since migration 019; 1.42 times with one statement per submission). Two out at a time made
        /// smaller batches and no faster whole: the one statement out is busy 98% of the time, and a second one
        /// raised the CPU per submission as much as it added throughput. A statement that hangs holds up the queue
        /// for 200 ms, no longer: then another is sent.
        static let measured = SubmissionBatching(maximumInFlight: 1, maximumBatch: 32, patience: .milliseconds(200))
    }

    /// Sends submissions alone (`SubmitStatement`) when they come one at a time, together (`SubmitBatchStatement`)
    /// when they queued: the same rows either way, under the same deadline rules (`SubmissionBatcher`).
    static func submissionBatcher(
        client: PostgresClient, logger: Logger, batching: SubmissionBatching
    ) -> SubmissionBatcher<SubmissionValues, SubmitStatement.Row> {
        SubmissionBatcher(
            maximumInFlight: batching.maximumInFlight, maximumBatch: batching.maximumBatch, patience: batching.patience,
            // An ERROR ends the statement and its transaction; a FATAL ends the connection, perhaps after a commit.
            isRefusal: { ($0 as? PSQLError)?.serverInfo?[.severity] == "ERROR" }
        ) { items, millisecondsLeft in
            if items.count == 1 {
                let row = try await client.execute(SubmitStatement(submission: items[0], millisecondsLeft: millisecondsLeft), logger: logger)
                    .first { _ in true }
                guard let row else { throw UnexpectedPortalState("querygate_record_submission returned no row") }
                return [row]
            }
            var answers = [SubmitStatement.Row?](repeating: nil, count: items.count)
            let rows = try await client.execute(SubmitBatchStatement(submissions: items, millisecondsLeft: millisecondsLeft), logger: logger)
            for try await (item, outcome, type, id, podName, channel, approvals, names, emails, slackIDs) in rows {
                guard answers.indices.contains(item - 1), answers[item - 1] == nil else {
                    throw UnexpectedPortalState("querygate_record_submissions answered submission \(item) of \(items.count) twice or unasked")
                }
                answers[item - 1] = (outcome, type, id, podName, channel, approvals, names, emails, slackIDs)
            }
            let answered = answers.compactMap { $0 }
            guard answered.count == items.count else {
                throw UnexpectedPortalState("querygate_record_submissions answered \(answered.count) of \(items.count) submissions")
            }
            return answered
        }
    }

    private static func door(of source: AuditSource) throws -> SubmissionDoor {
        guard let door = SubmissionDoor(source) else { throw UnexpectedPortalState("the system submits no requests") }
        return door
    }

    /// The request `querygate_record_submission` recorded, or its refusal in words (`SubmissionRules`).
    private func submitted(_ answer: SubmitStatement.Row, _ request: NewRequest, _ levels: SubmissionRules.Levels) throws -> Submitted {
        let (outcome, type, id, podName, channel, approvalsRequired, names, emails, slackIDs) = answer
        let target = request.target
        switch outcome {
        case "submitted":
            guard let id, let podName, let channel, let approvalsRequired, let names, let emails, let slackIDs else {
                throw UnexpectedPortalState("querygate_record_submission said submitted without the request")
            }
            guard names.count == emails.count, names.count == slackIDs.count else {
                throw UnexpectedPortalState("querygate_record_submission named approvers in arrays of different lengths")
            }
            // Its outbox rows were queued without NOTIFY (migration 015): this process's outbox worker sends them.
            localOutboxWakeUps.ring()
            let people = names.indices.map {
                RequestDetails.Person(name: names[$0], email: emails[$0], slackUserID: slackIDs[$0].isEmpty ? nil : slackIDs[$0])
            }
            return Submitted(id: id, target: target.description, podName: podName, channelID: channel, approvers: people,
                             approvalsRequired: approvalsRequired)
        case "no_such_target":
            throw SubmissionRules.Refusal.noSuchTarget.error(for: target)
        case "target_missing":
            throw SubmissionRules.Refusal.targetMissing.error(for: target)
        case "target_disabled":
            throw SubmissionRules.Refusal.targetDisabled.error(for: target)
        case "invalid_for_engine":
            let engine = try DatabaseType(portalValue: type ?? "", column: "database_instances.type")
            _ = try levels.level(on: engine)
            throw UnexpectedPortalState("querygate_record_submission refused a text valid for \(engine.rawValue)")
        case "no_pod":
            throw SubmissionRules.Refusal.noPod.error(for: target)
        default:
            throw UnexpectedPortalState("querygate_record_submission answered \(outcome)")
        }
    }

    /// Everything about one request, or nil if there is none with that id.
    public func requestDetails(id: Int) async throws -> RequestDetails? {
        var condition = RequestConditions()
        condition.add("r.id = ?", id)
        return try await requestDetails(condition, limit: 1).first
    }

    /// The newest requests of one user, newest first.
    public func recentRequests(ofUser userID: Int, limit: Int = 10) async throws -> [RequestDetails] {
        var condition = RequestConditions()
        condition.add("r.requester_id = ?", userID)
        return try await requestDetails(condition, limit: limit)
    }

    /// One page of the requests `user` may see (theirs; their pod's if a manager; all if an admin) that match
    /// `filter`, newest first, and whether there are more after it.
    public func listRequests(
        _ filter: RequestFilter, visibleTo user: User, page: PageRequest
    ) async throws -> (requests: [RequestDetails], hasMore: Bool) {
        var condition = RequestConditions()
        switch RequestVisibility.scope(of: user) {
        case .everything: break
        case .ownAndPod(let userID, _, let podID, _): condition.add("(r.pod_id = ? OR r.requester_id = ?)", podID, userID)
        case .own(let userID, _): condition.add("r.requester_id = ?", userID)
        case .nothing: condition.add("false")
        }
        if let status = filter.status { condition.add("r.status = ?", status.rawValue) }
        if let pod = filter.pod { condition.add("p.name = ?", pod.rawValue) }
        switch filter.database {
        case .target(let path): condition.add("i.name = ? AND d.name = ?", path.instance.rawValue, path.database.rawValue)
        case .named(let name): condition.add("d.name = ?", name.rawValue)
        case nil: break
        }
        if let submitter = filter.submitter { condition.add("u.email = ?", submitter.rawValue) }
        if let from = filter.submittedFrom { condition.add("r.created_at >= ?", from) }
        if let before = filter.submittedBefore { condition.add("r.created_at < ?", before) }
        if let after = page.after { condition.add("r.id < ?", after) }
        let found = try await requestDetails(condition, limit: page.size + 1)
        return (Array(found.prefix(page.size)), found.count > page.size)
    }

    /// A WHERE clause assembled from fixed SQL fragments and bound values: no value ever becomes SQL text.
    struct RequestConditions {
        private(set) var clauses: [String] = []
        private(set) var bindings = PostgresBindings()

        /// Appends one clause, written here with a `?` for each value; the values are bound as `$n`, in order.
        mutating func add(_ fragment: StaticString, _ values: any PostgresDynamicTypeEncodable...) {
            var clause = ""
            var remaining = values[...]
            for character in "\(fragment)" {
                if character == "?", let value = remaining.popFirst() {
                    bindings.append(value)
                    clause += "$\(bindings.count)"
                } else {
                    clause.append(character)
                }
            }
            precondition(remaining.isEmpty, "more values than placeholders in \(fragment)")
            clauses.append(clause)
        }

        var sql: String { clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ") }
    }

    private func requestDetails(_ condition: RequestConditions, limit: Int) async throws -> [RequestDetails] {
        var bindings = condition.bindings
        bindings.append(limit)
        let sql = """
            SELECT r.id, r.status, r.submission_type, r.query_text, r.reason, i.name || '/' || d.name, i.type,
                   u.name, u.email, u.slack_user_id, p.name, p.slack_channel_id,
                   COALESCE((SELECT array_agg(m.slack_user_id ORDER BY m.name) FROM users m
                             WHERE m.pod_id = p.id AND m.role = 'manager' AND m.is_active AND m.slack_user_id IS NOT NULL), '{}'),
                   a.name, a.email, a.slack_user_id, x.name, x.email, x.slack_user_id, r.rejection_reason, r.created_at,
                   COALESCE(r.approved_at, r.rejected_at, r.cancelled_at), r.slack_channel_id, r.slack_message_ts,
                   r.execution_started_at, r.execution_finished_at, r.result_summary::text, r.approvals_required::int,
                   (SELECT json_agg(json_build_object('name', v.name, 'email', v.email, 'slack_user_id', v.slack_user_id)
                                    ORDER BY g.approved_at, g.approver_id)
                    FROM request_approvals g JOIN users v ON v.id = g.approver_id WHERE g.request_id = r.id)::text
            FROM query_requests r
            JOIN databases d ON d.id = r.database_id
            JOIN database_instances i ON i.id = d.instance_id
            JOIN users u ON u.id = r.requester_id
            JOIN pods p ON p.id = r.pod_id
            LEFT JOIN users a ON a.id = r.approved_by
            LEFT JOIN users x ON x.id = r.rejected_by
            \(condition.sql)
            ORDER BY r.id DESC
            LIMIT $\(bindings.count)
            """
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        var details: [RequestDetails] = []
        for try await row in rows {
            // 29 columns: past the arity of tuple decoding, so read by position.
            let cells = row.makeRandomAccess()
            func cell<T: PostgresDecodable>(_ index: Int, _: T.Type = T.self) throws -> T {
                try cells[index].decode(T.self, context: .default)
            }
            func person(_ first: Int) throws -> RequestDetails.Person? {
                guard let name = try cell(first, String?.self), let email = try cell(first + 1, String?.self) else { return nil }
                return RequestDetails.Person(name: name, email: email, slackUserID: try cell(first + 2))
            }
            let summary = try cell(26, String?.self)
            let approvals = try cell(28, String?.self).map { try JSONDecoder().decode([PersonRow].self, from: Data($0.utf8)) } ?? []
            details.append(RequestDetails(
                id: try cell(0), status: try RequestStatus(portalValue: try cell(1), column: "query_requests.status"),
                submissionType: try SubmissionType(portalValue: try cell(2), column: "query_requests.submission_type"), queryText: try cell(3), reason: try cell(4),
                target: try cell(5), databaseType: try DatabaseType(portalValue: try cell(6), column: "database_instances.type"),
                requester: RequestDetails.Person(name: try cell(7), email: try cell(8), slackUserID: try cell(9)),
                podName: try cell(10), podChannelID: try cell(11), managerSlackIDs: try cell(12),
                approver: try person(13), rejecter: try person(16), rejectionReason: try cell(19), createdAt: try cell(20),
                decidedAt: try cell(21), slackChannelID: try cell(22), slackMessageTS: try cell(23), executionStartedAt: try cell(24),
                executionFinishedAt: try cell(25),
                outcome: summary.flatMap { try? JSONDecoder().decode(ExecutionOutcome.self, from: Data($0.utf8)) },
                approvalsRequired: try cell(27),
                approvals: approvals.map(\.person)))
        }
        return details
    }

    /// A person as the SQL aggregates them (`json_build_object('name', …, 'email', …, 'slack_user_id', …)`).
    struct PersonRow: Decodable {
        let name: String
        let email: String
        let slack_user_id: String?

        var person: RequestDetails.Person { RequestDetails.Person(name: name, email: email, slackUserID: slack_user_id) }
    }

    /// Databases whose `<instance>/<database>` contains `search` (case-insensitive), for the request form's picker.
    public func searchTargets(_ search: String, limit: Int = 100) async throws -> [TargetDatabase] {
        let pattern = "%" + search.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
        let rows = try await client.query(
            """
            SELECT d.id, i.name, i.type, d.name, d.description, d.source, true
            FROM databases d JOIN database_instances i ON i.id = d.instance_id
            WHERE d.is_active AND i.is_active AND (i.name || '/' || d.name) ILIKE \(pattern)
            ORDER BY i.name, d.name
            LIMIT \(limit)
            """,
            logger: logger
        )
        return try await Self.targetDatabases(rows)
    }
}
