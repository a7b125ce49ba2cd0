import Foundation
import NIOCore
import Logging
import PortalStore
import QueryGateCore
import ServiceLifecycle

/// Delivers the Slack outbox: claims due notifications one at a time (`NotificationOutbox.claimNextNotification`),
/// renders each from its request's current state, calls the Web API with no portal transaction open, and records the
/// outcome. The outbox is the portal database (`PortalStore`) in production, and may be its in-memory twin in tests.
///
/// - A queued notification wakes the worker at once (the outbox's wake-ups: LISTEN on `PortalStore.outboxChannel`);
///   it also polls.
/// - 5xx and network errors retry with exponential backoff; after `maxAttempts` the row is marked failed.
/// - HTTP 429 pauses this worker for `Retry-After` and retries without counting an attempt.
/// - Errors that will never succeed (channel_not_found, not_in_channel, invalid_auth…) are recorded as failed and
///   logged, once.
/// - Every wait has a deadline: a portal call `portalDeadline`, a delivery `deliveryDeadline`. The claim is renewed
///   during a delivery; if this process dies mid-call, another worker takes the row once the lease expires.
/// - A graceful shutdown lets the delivery in flight finish and be recorded, so a restart repeats nothing.
/// - A failing loop (the portal database is down) is retried with a growing pause, logged each time.
public struct SlackOutboxWorker: Service {
    public struct Settings: Sendable {
        /// Names this worker in `slack_notifications.claimed_by`.
        public var workerID = "outbox-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        /// How often to look for due rows when no NOTIFY woke the worker (retries come due without one).
        public var pollInterval: Duration = .seconds(1)
        /// The first retry delay; it doubles with each attempt, up to `maximumBackoff`.
        public var backoffBase: Duration = .seconds(2)
        public var maximumBackoff: Duration = .seconds(300)
        public var maxAttempts: Int = 12
        /// How long a claim holds without renewal; renewed every third of it during a delivery.
        public var lease: Duration = .seconds(30)
        /// The longest one portal-database call may take.
        public var portalDeadline: Duration = .seconds(10)
        /// The longest one delivery may take: the Web API calls time out after 10 s, an upload after 300 s.
        public var deliveryDeadline: Duration = .seconds(330)
        /// Whether a NOTIFY wakes the worker; off, it only polls (what the latency benchmark compares against).
        public var listens = true

        public init() {}
    }

    let outbox: any NotificationOutbox
    let slack: any SlackWebAPI
    let settings: Settings
    let logger: Logger
    private let wake = WakeSignal()

    public init(outbox: any NotificationOutbox, slack: any SlackWebAPI, settings: Settings = Settings(), logger: Logger) {
        self.outbox = outbox
        self.slack = slack
        self.settings = settings
        self.logger = logger
    }

    private var stopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            if settings.listens {
                group.addTask { [outbox, wake, settings] in
                    // The WakeSignal keeps a wake-up that comes while the loop is busy; the stream only carries it here.
                    await cancelWhenGracefulShutdown {
                        for await _ in outbox.outboxWakeUps(retryDelay: settings.pollInterval) { await wake.signal() }
                    }
                }
            }
            group.addTask { await deliveryLoop() }
        }
    }

    private func deliveryLoop() async {
        var failures = 0
        while !stopping {
            let pause: Duration
            var slackAskedForIt = false
            do {
                (pause, slackAskedForIt) = try await deliverUntilIdleOrPaused()
                if failures > 0 { logger.notice("outbox delivery works again", metadata: ["after_failures": "\(failures)"]) }
                failures = 0
            } catch {
                failures += 1
                pause = min(settings.pollInterval * (1 << min(failures, 5)), .seconds(30))
                logger.error("outbox delivery failed; trying again", metadata: [
                    "error": "\(PortalStore.errorDescription(error))", "consecutive_failures": "\(failures)", "pause": "\(pause)"])
            }
            if slackAskedForIt {
                // A wake-up (a notification queued meanwhile) must not end Slack's pause: the next call would only
                // earn another 429. The WakeSignal keeps it, and the loop looks at once when the pause is over.
                await cancelWhenGracefulShutdown { try? await Task.sleep(for: pause) }
            } else {
                await cancelWhenGracefulShutdown { await wake.wait(upTo: pause) }
            }
        }
    }

    /// Delivers everything due, and returns how long to wait before looking again.
    @discardableResult
    public func deliverDue() async throws -> Duration {
        try await deliverUntilIdleOrPaused().pause
    }

    /// `deliverDue`, saying also whether the pause is Slack's rate limit (which nothing but time may end).
    private func deliverUntilIdleOrPaused() async throws -> (pause: Duration, rateLimited: Bool) {
        while !stopping {
            let claimed = try await withDeadline(settings.portalDeadline, "claiming a notification") { [outbox, settings] in
                try await outbox.claimNextNotification(workerID: settings.workerID, lease: settings.lease)
            }
            guard let message = claimed else { return (settings.pollInterval, false) }
            // Every line about this delivery, the outbox's included, names its request.
            let result = await RequestLogContext.$requestID.withValue(message.requestID) { await deliverHoldingClaim(message) }
            try await RequestLogContext.$requestID.withValue(message.requestID) { try await record(result, of: message) }
            if case .rateLimited(let pause) = result {
                logger.warning("Slack rate limit: pausing deliveries", metadata: ["seconds": "\(pause)"])
                return (pause, true)
            }
        }
        return (.zero, false)
    }

    /// Records a delivery's outcome, even when a shutdown began during the call (the message may have been sent),
    /// retrying while the claim still holds: a portal database restarting now must not turn a sent message into a
    /// repeat. Past that the error is thrown, the claim expires, and the message will be sent again.
    private func record(_ result: PortalStore.DeliveryResult, of message: PortalStore.OutboxMessage) async throws {
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withoutCancellation(settings.portalDeadline, "recording a delivery") { [outbox, settings] in
                    try await outbox.recordDelivery(result, of: message, workerID: settings.workerID, maxAttempts: settings.maxAttempts)
                }
            } catch {
                guard started.duration(to: .now) < settings.lease * 2 / 3 else { throw error }
                logger.warning("could not record a delivery; trying again", metadata: [
                    "notification": "\(message.id)", "attempt": "\(attempt)", "error": "\(PortalStore.errorDescription(error))"])
                try? await Task.sleep(for: min(.milliseconds(100) * (1 << min(attempt, 5)), .seconds(2)))
            }
        }
    }

    /// Delivers `message` within `deliveryDeadline`, renewing the claim meanwhile.
    private func deliverHoldingClaim(_ message: PortalStore.OutboxMessage) async -> PortalStore.DeliveryResult {
        let renewal = Task { [outbox, settings, logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: settings.lease / 3)
                if Task.isCancelled { return }
                do {
                    let held = try await withDeadline(settings.portalDeadline, "renewing a notification's lease") {
                        try await outbox.renewNotificationLease(id: message.id, workerID: settings.workerID, lease: settings.lease)
                    }
                    if !held { logger.warning("lost the claim on a notification mid-call", metadata: ["notification": "\(message.id)"]) }
                } catch {
                    logger.warning("could not renew a notification's lease", metadata: ["notification": "\(message.id)", "error": "\(error)"])
                }
            }
        }
        defer { renewal.cancel() }
        do {
            return try await withDeadline(settings.deliveryDeadline, "delivering a notification") { await deliver(message) }
        } catch {
            return .retry(after: backoff(message.attempts), error: "\(error)")
        }
    }

    func backoff(_ attempts: Int) -> Duration {
        let factor = 1 << min(attempts, 16)
        return min(settings.backoffBase * factor, settings.maximumBackoff)
    }
}
