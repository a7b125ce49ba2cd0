import PostgresNIO
import QueryGateCore

extension PortalStore {
    /// Creates a pod and audits it. A second pod with the same name is refused.
    @discardableResult
    public func addPod(_ pod: NewPod, by actor: AuditActor) async throws -> Pod {
        let logger = self.logger
        let id = try await translatingUniqueViolations([
            "pods_name_key": ValidationError(field: "name", "a pod named '\(pod.name)' already exists")
        ]) {
            try await transaction { connection in
                let id = try await connection.query(
                    """
                    INSERT INTO pods (name, description, slack_channel_id)
                    VALUES (\(pod.name.rawValue), \(pod.description), \(pod.slackChannelID.rawValue))
                    RETURNING id
                    """,
                    logger: logger
                ).insertedID(into: "pods")
                try await Self.appendAudit(
                    AuditEntry(actor: actor, action: .podCreated, entityType: "pod", entityID: String(id),
                               details: ["name": pod.name.rawValue, "slack_channel_id": pod.slackChannelID.rawValue]),
                    on: connection, logger: logger)
                return id
            }
        }
        return Pod(id: id, name: pod.name.rawValue, slackChannelID: pod.slackChannelID.rawValue, description: pod.description,
                   isActive: true, managers: [], memberCount: 0)
    }

    /// Every pod, by name, with its active managers and its number of members.
    public func listPods() async throws -> [Pod] {
        let rows = try await client.query(
            """
            SELECT p.id, p.name, p.slack_channel_id, p.description, p.is_active, p.request_ttl_seconds,
                   COALESCE(array_agg(u.email ORDER BY u.email) FILTER (WHERE u.role = 'manager' AND u.is_active), '{}'),
                   count(u.id), ARRAY[p.approvals_read_only, p.approvals_write, p.approvals_ddl, p.approvals_dangerous]::int[]
            FROM pods p LEFT JOIN users u ON u.pod_id = p.id
            GROUP BY p.id
            ORDER BY p.name
            """,
            logger: logger
        )
        var pods: [Pod] = []
        for try await (id, name, channel, description, isActive, ttl, managers, members, approvals) in rows.decode(
            (Int, String, String, String?, Bool, Int?, [String], Int, [Int]).self)
        {
            pods.append(Pod(id: id, name: name, slackChannelID: channel, description: description, isActive: isActive,
                            managers: managers, memberCount: members, requestTTLSeconds: ttl,
                            approvals: ApprovalQuorum(readOnly: approvals[0], write: approvals[1], ddl: approvals[2], dangerous: approvals[3])))
        }
        return pods
    }

    /// Sets how long the pod's requests stay open before they expire (`nil`: back to `QUERYGATE_REQUEST_TTL`), and
    /// audits it. It applies to the pod's open requests at the next sweep.
    /// - Throws: `ValidationError` for an unknown pod or a time to live outside `RequestDeadlines.allowedTimeToLive`.
    public func setRequestTTL(of pod: PodName, to ttl: Duration?, by actor: AuditActor) async throws {
        let seconds = try RequestDeadlines.podTimeToLiveSeconds(ttl)
        let logger = self.logger
        try await transaction { connection in
            let id = try await Self.podID(named: pod, on: connection, logger: logger)
            try await connection.query(
                "UPDATE pods SET request_ttl_seconds = \(seconds), updated_at = now() WHERE id = \(id)", logger: logger)
            try await Self.appendAudit(
                AuditEntry(actor: actor, action: .podUpdated, entityType: "pod", entityID: String(id),
                           details: ["name": pod.rawValue, "request_ttl": seconds.map { DurationText.format(seconds: $0) } ?? "default"]),
                on: connection, logger: logger)
        }
    }

    /// Sets how many distinct approvals the pod's requests of some risk classes need (the others keep theirs), and
    /// audits it with the whole new rule. Requests made from now on follow it; open ones keep the rule they were
    /// made under, which their approval messages show.
    /// - Throws: `ValidationError` for an unknown pod or a number outside `ApprovalQuorum.allowed`.
    @discardableResult
    public func setApprovals(of pod: PodName, _ changes: [RiskAssessment.Level: Int], by actor: AuditActor) async throws -> ApprovalQuorum {
        var checked = ApprovalQuorum.single
        for (level, count) in changes { try checked.set(count, for: level) }  // refuse a bad number before anything is read
        let logger = self.logger
        return try await transaction { connection in
            let id = try await Self.podID(named: pod, on: connection, logger: logger)
            let current = try await connection.query(
                "SELECT approvals_read_only::int, approvals_write::int, approvals_ddl::int, approvals_dangerous::int FROM pods WHERE id = \(id) FOR UPDATE",
                logger: logger
            ).decode((Int, Int, Int, Int).self).first { _ in true }
            guard let current else { throw ValidationError(field: "pod", "there is no pod named '\(pod)'") }
            var quorum = ApprovalQuorum(readOnly: current.0, write: current.1, ddl: current.2, dangerous: current.3)
            for (level, count) in changes { try quorum.set(count, for: level) }
            try await connection.query(
                """
                UPDATE pods SET approvals_read_only = \(quorum.readOnly), approvals_write = \(quorum.write),
                       approvals_ddl = \(quorum.ddl), approvals_dangerous = \(quorum.dangerous), updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
            try await Self.appendAudit(
                AuditEntry(actor: actor, action: .podUpdated, entityType: "pod", entityID: String(id),
                           details: ["name": pod.rawValue, "approvals": quorum.summary]),
                on: connection, logger: logger)
            return quorum
        }
    }

    /// The id of the pod called `name`, or a validation error naming it.
    static func podID(named name: PodName, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let id = try await connection.query("SELECT id FROM pods WHERE name = \(name.rawValue)", logger: logger)
            .decode(Int.self).first { _ in true }
        guard let id else {
            throw ValidationError(field: "pod", "there is no pod named '\(name)' (see `querygate pods list`)")
        }
        return id
    }
}
