import Foundation
import PortalStore
import QueryGateTestSupport
import ServiceLifecycle
import SlackGateway
import Synchronization
import Testing

/// Not a test of timing: a benchmark (`scripts/benchmark latency`) of the time from an Approve click to the result's
/// reply in the thread, for a small query, with the executor and the outbox worker running as in `querygate serve`
/// (woken by LISTEN/NOTIFY) and, for comparison, with an outbox that only polls every 500 ms (as before). It prints
/// median and p95 and their ratio, and asserts only that every reply arrived.
///
/// The time is measured in the portal database's clock: from the approval's commit (`approved_at`) to the record
/// of Slack's answer to the thread reply (`sent_at`).
@Suite("Approve click to thread reply (benchmark)", .enabled(if: ProcessInfo.processInfo.environment["QUERYGATE_BENCHMARK"] == "1"))
struct ApprovalLatencyBenchmark {
    @Test(.timeLimit(.minutes(5)))
    func approveToThreadReply() async throws {
        let listening = try await Self.measure(requests: 50, outboxListens: true)
        let polling = try await Self.measure(requests: 20, outboxListens: false)
        print(Self.summary("outbox woken by NOTIFY", listening))
        print(Self.summary("outbox polling every 500 ms", polling))
        print(String(format: "benchmark: median ratio polling / NOTIFY = %.1f×", Self.percentile(polling, 0.5) / Self.percentile(listening, 0.5)))
    }

    static func measure(requests: Int, outboxListens: Bool) async throws -> [Double] {
        let collected = Mutex<[Double]>([])
        try await ExecutionTests.run { slack, target in
            var outbox = SlackOutboxWorker.Settings()
            outbox.pollInterval = .milliseconds(500)
            outbox.listens = outboxListens
            let executor = ExecutionTests.executor(slack, target)
            let worker = SlackOutboxWorker(outbox: slack.store, slack: slack.slack, settings: outbox, logger: AppHarness.quietLogger)
            let group = ServiceGroup(configuration: .init(services: [.init(service: executor), .init(service: worker)],
                                                          gracefulShutdownSignals: [], logger: AppHarness.quietLogger))
            let running = Task { try await group.run() }
            for _ in 1...requests {
                let id = try await slack.submit("SELECT count(*) FROM customers")
                // The approval message must be in the channel before anyone can click it.
                try await Self.waitUntilSent(id, "approval_request", in: slack.store)
                _ = try await slack.click("request.approve", request: id, as: AppHarness.People.maria)
                let latency = try await Self.waitUntilSent(id, "result_reply", in: slack.store)
                collected.withLock { $0.append(latency) }
            }
            await group.triggerGracefulShutdown()
            try await running.value
        }
        let latencies = collected.withLock { $0 }
        #expect(latencies.count == requests)
        return latencies
    }

    /// Waits until the request's notification of `type` is sent; returns seconds from approval to that.
    @discardableResult
    static func waitUntilSent(_ id: Int, _ type: String, in store: PortalStore) async throws -> Double {
        for _ in 0..<2000 {
            let rows = try await store.client.query(
                """
                SELECT extract(epoch FROM n.sent_at - r.approved_at)::float8 FROM slack_notifications n JOIN query_requests r ON r.id = n.request_id
                WHERE n.request_id = \(id) AND n.notification_type = \(type) AND n.status = 'sent'
                """,
                logger: AppHarness.quietLogger)
            if let seconds = try await rows.decode(Double?.self).first(where: { _ in true }) { return seconds ?? 0 }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw HarnessError("request \(id)'s \(type) was not sent")
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
    }

    static func summary(_ label: String, _ values: [Double]) -> String {
        String(format: "benchmark: approve → thread reply, %@: median %.0f ms, p95 %.0f ms, max %.0f ms (n = %d)",
               label, percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000, (values.max() ?? 0) * 1000, values.count)
    }
}
