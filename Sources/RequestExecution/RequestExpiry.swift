import Logging
import PortalStore
import QueryGateCore
import ServiceLifecycle

/// Every `interval`: reminds the approvers of requests that have waited `reminderPercent`% of their time to live
/// (`ExpirySweeps.remindWaitingRequests`), and expires those nobody decided in time (`expireOverdueRequests`).
/// Every replica sweeps; the conditional updates make each reminder and each expiry happen once. A failing sweep
/// (the portal database is away), or one that outlasts `portalDeadline`, is logged and tried again at the next turn.
public struct RequestExpiry: Service {
    /// A sweep moves at most this many requests; the next turn takes the rest.
    static let batch = 100

    let store: any ExpirySweeps
    /// `nil`: only pods with a time to live of their own expire requests.
    let defaultTTL: Duration?
    var reminderPercent: Int
    var interval: Duration
    var portalDeadline: Duration
    let logger: Logger

    public init(store: any ExpirySweeps, defaultTTL: Duration?, reminderPercent: Int = 50, interval: Duration = .seconds(30),
                portalDeadline: Duration = .seconds(10), logger: Logger) {
        self.store = store
        self.defaultTTL = defaultTTL
        self.reminderPercent = reminderPercent
        self.interval = interval
        self.portalDeadline = portalDeadline
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let reminded = try await withDeadline(portalDeadline, "reminding approvers") { [store, defaultTTL, reminderPercent] in
                        try await store.remindWaitingRequests(defaultTTL: defaultTTL, percent: reminderPercent, limit: Self.batch)
                    }
                    if !reminded.isEmpty { logger.info("reminded the approvers of waiting requests", metadata: ["requests": "\(reminded)"]) }
                    let expired = try await withDeadline(portalDeadline, "expiring overdue requests") { [store, defaultTTL] in
                        try await store.expireOverdueRequests(defaultTTL: defaultTTL, limit: Self.batch)
                    }
                    if !expired.isEmpty { logger.notice("requests expired without a decision or a run", metadata: ["requests": "\(expired)"]) }
                } catch {
                    logger.warning("could not expire overdue requests; trying again", metadata: ["error": "\(PortalStore.errorDescription(error))"])
                }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
