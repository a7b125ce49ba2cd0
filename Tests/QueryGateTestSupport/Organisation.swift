import PortalStore
import QueryGateCore

/// A small organisation, the same in every suite that needs people:
///
/// pods `payments` (channel C0PAYMENTS) and `search` (C0SEARCH01); in payments the developer Dev (U0DEV0001), the
/// developer Devi (U0DEV0002), the manager Maria (U0MGR0001) and the deactivated manager Olga (U0OLD0001); in
/// search the manager Sam (U0MGR0002); the admin Ada (U0ADMIN01) in no pod. One target: pg-main/customer_db. The
/// same organisation seeds the twins in memory (`Organisation+Memory`).
public enum Organisation {
    public enum SlackIDs {
        public static let dev = "U0DEV0001"
        public static let devi = "U0DEV0002"
        public static let maria = "U0MGR0001"
        public static let olga = "U0OLD0001"
        public static let sam = "U0MGR0002"
        public static let ada = "U0ADMIN01"
        public static let stranger = "U0NOBODY1"
    }

    /// E-mail addresses, which are the portal's log-in names.
    public enum Emails {
        public static let dev = "dev@example.com"
        public static let devi = "devi@example.com"
        public static let maria = "maria@example.com"
        public static let olga = "olga@example.com"
        public static let sam = "sam@example.com"
        public static let ada = "ada@example.com"
    }

    /// The pods, by name, with their approval channels.
    public static let pods: [(name: String, channelID: String)] = [("payments", "C0PAYMENTS"), ("search", "C0SEARCH01")]

    /// The people, in the order they are added (Olga is deactivated once added).
    public static let people: [(email: String, name: String, role: Role, pod: String?, slackUserID: String)] = [
        (Emails.dev, "Dev", .developer, "payments", SlackIDs.dev),
        (Emails.devi, "Devi", .developer, "payments", SlackIDs.devi),
        (Emails.maria, "Maria", .manager, "payments", SlackIDs.maria),
        (Emails.olga, "Olga", .manager, "payments", SlackIDs.olga),
        (Emails.sam, "Sam", .manager, "search", SlackIDs.sam),
        (Emails.ada, "Ada", .admin, nil, SlackIDs.ada),
    ]

    /// The one target.
    public static let target = "pg-main/customer_db"

    public static func seed(_ store: PortalStore) async throws {
        let actor = AuditActor.system
        for pod in pods {
            try await store.addPod(NewPod(name: PodName(pod.name), slackChannelID: SlackChannelID(pod.channelID), description: nil), by: actor)
        }
        for (email, name, role, pod, slack) in people {
            try await store.addUser(
                NewUser(email: EmailAddress(email), name: name, role: role, pod: try pod.map { try PodName($0) }, slackUserID: SlackUserID(slack)),
                by: actor)
        }
        try await store.setUserActive(email: EmailAddress(Emails.olga), active: false, by: actor)
        let instance = NewInstance(name: try InstanceName("pg-main"), type: .postgresql,
                                   credentials: .environmentPrefix(try EnvironmentVariableName("PG_INSTANCE_1", field: "x")), description: nil)
        try await store.addInstance(instance, by: actor)
        try await store.addDatabase(instance: InstanceName("pg-main"), name: DatabaseName("customer_db"), description: nil, by: actor)
    }
}
