import Foundation
import Logging
import PortalStore
import PostgresNIO
import QueryGateCore
import SlackStandIn

/// What the demo sets up in its own portal database on first start, and finds again on the next: a pod with its
/// channel, three people, and the sample target database registered as `demo/shop`.
enum DemoOrganisation {
    static let channel = StandInChannel(id: "C0DEMOSHOP", name: "shop-approvals")
    static let developer = StandInPerson(id: "U0DEMODEV1", name: "Dana Developer", title: "developer in shop")
    static let manager = StandInPerson(id: "U0DEMOMGR1", name: "Maya Manager", title: "manager of shop")
    static let admin = StandInPerson(id: "U0DEMOADM1", name: "Alex Admin", title: "admin")
    static let people = [developer, manager, admin]

    static let podName = "shop"
    static let instanceName = "demo"
    static let databaseName = "shop"
    /// The prefix of the demo instance's credential variables, which the demo sets for itself (pointing at its
    /// embedded server), so that no secret is stored, as for any instance.
    static let credentialsPrefix = "QUERYGATE_DEMO_PG"

    /// Adds the pod, the people, the instance and the database unless a previous start did. Every step is an
    /// ordinary administration call, audited like `querygate pods add` and friends.
    static func seed(_ store: PortalStore) async throws -> Bool {
        if try await store.user(slackUserID: admin.id) != nil { return false }
        let actor = AuditActor.system
        try await store.addPod(
            NewPod(name: PodName(podName), slackChannelID: SlackChannelID(channel.id), description: "The demo's sample team"), by: actor)
        let roles: [(StandInPerson, String, Role, String?)] = [
            (developer, "dana@demo.querygate.invalid", .developer, podName),
            (manager, "maya@demo.querygate.invalid", .manager, podName),
            (admin, "alex@demo.querygate.invalid", .admin, nil),
        ]
        for (person, email, role, pod) in roles {
            try await store.addUser(
                NewUser(email: EmailAddress(email), name: person.name, role: role, pod: try pod.map { try PodName($0) },
                        slackUserID: SlackUserID(person.id)),
                by: actor)
        }
        let instance = NewInstance(
            name: try InstanceName(instanceName), type: .postgresql,
            credentials: .environmentPrefix(try EnvironmentVariableName(credentialsPrefix, field: "credentials-env-prefix")),
            description: "The demo's embedded PostgreSQL")
        try await store.addInstance(instance, by: actor)
        try await store.addDatabase(
            instance: InstanceName(instanceName), name: DatabaseName(databaseName), description: "A small shop (Migrations/target_db_schema.sql)",
            by: actor)
        return true
    }

    /// Creates the `shop` database on the embedded server if it is missing, and loads the sample schema into it.
    /// The schema file is idempotent (tables if missing, rows once), so a start after a failed first load
    /// completes it rather than finding half a database.
    static func prepareSampleDatabase(socketPath: String, user: String, schema: URL, logger: Logger) async throws {
        let maintenance = PostgresConnection.Configuration(unixSocketPath: socketPath, username: user, password: nil, database: "postgres")
        let connection = try await PostgresConnection.connect(configuration: maintenance, id: 1, logger: logger)
        let exists: Bool
        do {
            exists = try await connection.query("SELECT count(*) FROM pg_database WHERE datname = \(databaseName)", logger: logger)
                .decode(Int.self).reduce(0, +) > 0
            // CREATE DATABASE takes no parameters; the name is our own constant.
            if !exists { try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(databaseName)"), logger: logger) }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        let sql = try String(contentsOf: schema, encoding: .utf8)
        let target = PostgresConnection.Configuration(unixSocketPath: socketPath, username: user, password: nil, database: databaseName)
        let shop = try await PostgresConnection.connect(configuration: target, id: 2, logger: logger)
        do {
            // postgres-nio sends one statement at a time; the file's own BEGIN … COMMIT keeps it all or nothing.
            for statement in SQLScript.statements(in: sql) {
                try await shop.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await shop.close()
        } catch {
            try? await shop.close()
            throw error
        }
    }
}
