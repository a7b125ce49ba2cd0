import QueryGateCore

/// What `RequestExpiry` needs of the portal database: the two sweeps that remind the approvers of waiting requests
/// and expire the overdue ones (`RequestDeadlines`), each once however many replicas sweep.
///
/// `PortalStore` is the implementation on PostgreSQL (`ExpiryTests` cover its messages, its races and its outbox
/// rows); the tests' `MemoryRequestRepository` is a twin in memory, held to the same contract by
/// `ExpirySweepContractTests`, so that the worker's own tests need no database.
public protocol ExpirySweeps: Sendable {
    /// Reminds, once, the approvers of up to `limit` requests pending `percent`% of the way through their time to
    /// live (the pod's, or `defaultTTL`); the ids reminded.
    func remindWaitingRequests(defaultTTL: Duration?, percent: Int, limit: Int) async throws -> [Int]
    /// Expires up to `limit` requests past their time to live (pending since they were made, approved and never
    /// started since their approval); the ids expired.
    func expireOverdueRequests(defaultTTL: Duration?, limit: Int) async throws -> [Int]
}

extension PortalStore: ExpirySweeps {}
