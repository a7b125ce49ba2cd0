/// What listing an instance's server found: the database names, and which server answered.
public struct DatabaseListing: Sendable, Equatable, ExpressibleByArrayLiteral {
    public let names: [String]
    /// PostgreSQL's `system_identifier` (`pg_control_system()`), the same on a cluster and its physical replicas;
    /// `nil` for MongoDB, or a server that does not tell. The sync compares it with the portal database's own, so
    /// that QueryGate never offers its own database as a target when an instance is the portal's server.
    public let serverIdentity: String?

    public init(names: [String], serverIdentity: String? = nil) {
        self.names = names
        self.serverIdentity = serverIdentity
    }

    /// Names only, of a server that does not say which it is (what tests and MongoDB give).
    public init(arrayLiteral names: String...) {
        self.init(names: names)
    }
}
