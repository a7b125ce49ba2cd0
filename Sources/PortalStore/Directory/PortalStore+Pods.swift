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
            SELECT p.id, p.name, p.slack_channel_id, p.description, p.is_active,
                   COALESCE(array_agg(u.email ORDER BY u.email) FILTER (WHERE u.role = 'manager' AND u.is_active), '{}'),
                   count(u.id)
            FROM pods p LEFT JOIN users u ON u.pod_id = p.id
            GROUP BY p.id
            ORDER BY p.name
            """,
            logger: logger
        )
        var pods: [Pod] = []
        for try await (id, name, channel, description, isActive, managers, members) in rows.decode(
            (Int, String, String, String?, Bool, [String], Int).self)
        {
            pods.append(Pod(id: id, name: name, slackChannelID: channel, description: description, isActive: isActive,
                            managers: managers, memberCount: members))
        }
        return pods
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
