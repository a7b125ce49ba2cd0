/// The door a request came in through, as `query_requests.submitted_via` stores it and `/metrics` labels it. The
/// audit log names the portal's door after its API (`AuditSource.api`); a request names it after the portal.
public enum SubmissionDoor: String, Sendable, CaseIterable {
    case slack, portal, cli

    /// The door of a request submitted through `source`; nil for the system, which submits nothing.
    public init?(_ source: AuditSource) {
        switch source {
        case .slack: self = .slack
        case .api: self = .portal
        case .cli: self = .cli
        case .system: return nil
        }
    }
}
