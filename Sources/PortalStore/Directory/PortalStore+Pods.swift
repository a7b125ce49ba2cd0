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
                   count(u.id)
            FROM pods p LEFT JOIN users u ON u.pod_id = p.id
            GROUP BY p.id
            ORDER BY p.name
            """,
            logger: logger
        )
        var pods: [Pod] = []
        for try await (id, name, channel, description, isActive, ttl, managers, members) in rows.decode(
            (Int, String, String, String?, Bool, Int?, [String], Int).self)
        {
            pods.append(Pod(id: id, name: name, slackChannelID: channel, description: description, isActive: isActive,
                            managers: managers, memberCount: members, requestTTLSeconds: ttl))
        }
        return pods
    }

    /// Sets how long the pod's requests stay open before they expire (`nil`: back to `QUERYGATE_REQUEST_TTL`), and
    /// audits it. It applies to the pod's open requests at the next sweep.
    /// - Throws: `ValidationError` for an unknown pod or a time to live outside 1 minute to 90 days.
    public func setRequestTTL(of pod: PodName, to ttl: Duration?, by actor: AuditActor) async throws {
        let seconds = ttl.map { Int($0.components.seconds) }
        if let seconds, !(60...(90 * 86_400)).contains(seconds) {
            throw ValidationError(field: "request-ttl", "a request's time to live is from 1m to 90d")
        }
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
