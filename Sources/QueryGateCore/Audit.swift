/// The door an action came through, as recorded in `audit_logs.source`.
public enum AuditSource: String, Sendable, Codable {
    case cli, slack, api, system
}

/// Who did something, for the audit log. `userID` is the portal user when there is one; `label` always
/// says who it was in words an auditor can follow (`cli:root`, `slack:U0DEV0001`, `system`).
public struct AuditActor: Sendable, Equatable {
    public let userID: Int?
    public let label: String
    public let source: AuditSource

    public init(userID: Int?, label: String, source: AuditSource) {
        self.userID = userID
        self.label = label
        self.source = source
    }

    /// An operator at a shell, named by their operating-system account.
    public static func cli(osUser: String) -> AuditActor {
        AuditActor(userID: nil, label: "cli:\(osUser)", source: .cli)
    }

    public static let system = AuditActor(userID: nil, label: "system", source: .system)
}
