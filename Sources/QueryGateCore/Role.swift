/// What a portal user may do. Approvers of a pod's requests are its managers and every admin.
public enum Role: String, CaseIterable, Sendable, Codable {
    /// Submits requests and sees their own.
    case developer
    /// Approves the requests of their pod.
    case manager
    /// Approves any pod's requests and administers the portal.
    case admin

    public init(parsing text: String, field: String = "role") throws(ValidationError) {
        guard let role = Role(rawValue: text.trimmingSpaces().lowercased()) else {
            let choices = Role.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError(field: field, "'\(text.prefix(40))' is not a role (choose one of: \(choices))")
        }
        self = role
    }

    /// Everybody but an admin belongs to a pod, because a pod routes the approval of their requests.
    public var requiresPod: Bool { self != .admin }
}

/// The kinds of target database QueryGate can run requests on.
public enum DatabaseType: String, CaseIterable, Sendable, Codable {
    case postgresql
    case mongodb

    public init(parsing text: String, field: String = "type") throws(ValidationError) {
        switch text.trimmingSpaces().lowercased() {
        case "postgresql", "postgres", "pg": self = .postgresql
        case "mongodb", "mongo": self = .mongodb
        default:
            throw ValidationError(field: field, "'\(text.prefix(40))' is not a database type (choose postgresql or mongodb)")
        }
    }
}
