import Foundation
import QueryGateCore

/// What the portal API's request routes need of the portal database: recording a submission, reading a request and
/// a page of those a caller may see, and the decisions (approve, reject, cancel) judged by `RequestWorkflow`.
///
/// `PortalStore` is the implementation on PostgreSQL (its own tests, against the real server, cover its SQL, its
/// outbox rows and its concurrency); the tests' `MemoryRequestRepository` is a twin in memory that decides with the
/// same core rules, held to the same contract by tests that run against both, so that route tests of the API's
/// requests need no database.
public protocol RequestRepository: Sendable {
    /// Records a request with its audit row (and, on PostgreSQL, its approval message and Home tab refreshes).
    /// - Throws: `ValidationError` for a requester who cannot submit, a target that cannot take it, or a text its
    ///   engine refuses (`SubmissionRules`).
    func submit(_ request: NewRequest, by requester: User, via source: AuditSource) async throws -> PortalStore.Submitted
    /// Everything about one request, whoever may see it (the caller applies `RequestVisibility`); nil if none.
    func requestDetails(id: Int) async throws -> RequestDetails?
    /// One page of the requests `user` may see (`RequestVisibility`) that match `filter`, newest first, and whether
    /// there are more after it.
    func listRequests(_ filter: RequestFilter, visibleTo user: User, page: PageRequest) async throws -> (requests: [RequestDetails], hasMore: Bool)
    func approve(requestID: Int, by decider: User, via source: AuditSource) async throws -> DecisionOutcome
    /// - Throws: `ValidationError` (field `reason`) for a reason `RequestWorkflow.rejectionReason` refuses.
    func reject(requestID: Int, reason: String, by decider: User, via source: AuditSource) async throws -> DecisionOutcome
    func cancel(requestID: Int, by requester: User, via source: AuditSource) async throws -> DecisionOutcome
}

extension PortalStore: RequestRepository {
    /// The API's approval, which has no facts read beforehand (the Slack click passes those it read with the clicker).
    public func approve(requestID: Int, by decider: User, via source: AuditSource) async throws -> DecisionOutcome {
        try await approve(requestID: requestID, by: decider, via: source, knowing: nil)
    }
}
