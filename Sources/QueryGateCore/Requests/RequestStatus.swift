/// The life of a query request (see docs/architecture.md, "A request's path"):
///
/// ```
/// pending ──approve──► approved ──claim──► executing ──► completed
///    │                     │                    └──────► failed
///    │                     └──TTL (never started)──► expired
///    ├──reject──► rejected    ├──cancel──► cancelled    └──TTL──► expired
/// ```
///
/// The portal database enforces the same set of values with a CHECK constraint on `query_requests.status`.
public enum RequestStatus: String, CaseIterable, Sendable, Codable {
    case pending, approved, rejected, cancelled, expired, executing, completed, failed

    /// A final request never changes again: no buttons, no execution.
    public var isFinal: Bool {
        switch self {
        case .rejected, .cancelled, .expired, .completed, .failed: true
        case .pending, .approved, .executing: false
        }
    }

    /// The states this one may move to. The stores' conditional updates (`WHERE status = 'pending'` for a
    /// decision, `'approved'` for a claim, `'executing'` for an outcome) follow this table; change them together.
    public var successors: Set<RequestStatus> {
        switch self {
        case .pending: [.approved, .rejected, .cancelled, .expired]
        case .approved: [.executing, .expired]
        case .executing: [.completed, .failed]
        case .rejected, .cancelled, .expired, .completed, .failed: []
        }
    }

    public func canMove(to next: RequestStatus) -> Bool { successors.contains(next) }
}
