import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PortalStore
import QueryGateCore
@testable import QueryGateServer
import QueryGateTestSupport
import SlackGateway
import Testing

/// `GET /metrics`: Prometheus' text format, behind a bearer token, with values that follow what people do.
@Suite("Metrics")
struct MetricsTests {
    typealias People = AppHarness.People
    static let token = "metrics-token-0123456789abcdef0123456789"

    static func scrape(_ app: AppHarness, token: String? = MetricsTests.token) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let response = try await app.client.execute(uri: "/metrics", method: .get, headers: headers)
        return (response.status, String(buffer: response.body))
    }

    /// The value of one series, `name{labels} value`, or nil when it is not shown.
    static func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func valuesFollowSubmissionsDecisionsAndDeliveries() async throws {
        try await AppHarness.run(metricsToken: Self.token) { (app: AppHarness) async throws in
            let first = try await app.submit()
            _ = try await app.submit("SELECT 2")
            var (status, text) = try await Self.scrape(app)
            #expect(status == .ok)
            #expect(Self.value(text, #"querygate_requests{status="pending",door="slack"}"#) == 2, "\(text)")
            #expect(Self.value(text, #"querygate_slack_notifications{status="pending",type="approval_request"}"#) == 2)

            try await app.deliverOutbox()
            _ = try await app.click("request.approve", request: first, as: People.maria)
            (_, text) = try await Self.scrape(app)
            #expect(Self.value(text, #"querygate_requests{status="pending",door="slack"}"#) == 1)
            #expect(Self.value(text, #"querygate_requests{status="approved",door="slack"}"#) == 1)
            #expect(Self.value(text, #"querygate_slack_notifications{status="sent",type="approval_request"}"#) == 2)
            #expect(Self.value(text, #"querygate_executions{outcome="completed",engine="postgresql"}"#) == 0)
            // Decisions, from the audit log: Maria's approval, then a late click of hers and a refused one of Dev's.
            #expect(Self.value(text, #"querygate_decisions{decision="approve",outcome="decided",door="slack"}"#) == 1)
            #expect(Self.value(text, #"querygate_decisions{decision="approve",outcome="lost",door="slack"}"#) == 0)
            _ = try await app.click("request.approve", request: first, as: People.maria)
            _ = try await app.click("request.approve", request: first + 1, as: People.dev)
            (_, text) = try await Self.scrape(app)
            #expect(Self.value(text, #"querygate_decisions{decision="approve",outcome="lost",door="slack"}"#) == 1)
            #expect(Self.value(text, #"querygate_decisions{decision="approve",outcome="refused",door="slack"}"#) == 1)
            #expect(Self.value(text, #"querygate_decisions{decision="reject",outcome="decided",door="api"}"#) == 0)
            // The HTTP side, by route pattern: the clicks and commands went through /slack/….
            #expect(text.contains(#"querygate_http_request_duration_seconds_count{method="POST",route="/slack/commands",status="2xx"}"#), "\(text)")
        }
    }

    @Test func aScrapeNeedsTheTokenAndWithoutTheSettingThereIsNoRoute() async throws {
        try await AppHarness.run(metricsToken: Self.token) { (app: AppHarness) async throws in
            #expect(try await Self.scrape(app, token: nil).0 == .unauthorized)
            #expect(try await Self.scrape(app, token: "metrics-token-0123456789abcdef0123456780").0 == .unauthorized)
            #expect(try await Self.scrape(app, token: Self.token).0 == .ok)
        }
        try await AppHarness.run { (app: AppHarness) async throws in
            #expect(try await Self.scrape(app).0 == .notFound)
        }
    }

    /// A Web API that answers every call with one result.
    struct ScriptedSlack: SlackWebAPI {
        let result: SlackCallResult
        func call(_ method: String, _ arguments: JSONValue) async -> SlackCallResult { result }
        func call(_ method: String, form: [String: String]) async -> SlackCallResult { result }
        func upload(to url: String, length: Int, next: @escaping @Sendable () async throws -> ByteBuffer?) async -> SlackCallResult { result }
    }

    @Test func slackCallsAndRunsAreCountedByOutcome() async throws {
        try await TestDatabase.withMigrated { database in
            let metrics = PortalMetrics(store: database.store, token: Self.token)
            let refused = ObservedSlackWebAPI(wrapped: ScriptedSlack(result: .apiError("channel_not_found", permanent: true)), metrics: metrics)
            let fine = ObservedSlackWebAPI(wrapped: ScriptedSlack(result: .ok(["ok": true])), metrics: metrics)
            _ = await refused.call("chat.postMessage", ["channel": "C0NOPE"])
            _ = await refused.call("chat.postMessage", ["channel": "C0NOPE"])
            _ = await fine.call("chat.update", [:])
            metrics.observeRun(engine: .postgresql, outcome: "completed", duration: .milliseconds(40))
            // Methods a client made up share one series.
            for method in ["BREW", "WHEN", "GET"] {
                metrics.observe(method: method, route: "unmatched", status: 404, duration: .milliseconds(1))
            }
            let text = try await metrics.render()
            #expect(Self.value(text, #"querygate_slack_api_calls_total{method="chat.postMessage",outcome="channel_not_found"}"#) == 2, "\(text)")
            #expect(Self.value(text, #"querygate_slack_api_calls_total{method="chat.update",outcome="ok"}"#) == 1)
            #expect(Self.value(text, #"querygate_execution_duration_seconds_count{engine="postgresql",outcome="completed"}"#) == 1)
            #expect(Self.value(text, #"querygate_execution_duration_seconds_bucket{engine="postgresql",outcome="completed",le="0.1"}"#) == 1)
            #expect(Self.value(text, #"querygate_execution_duration_seconds_bucket{engine="postgresql",outcome="completed",le="0.01"}"#) == 0)
            #expect(Self.value(text, #"querygate_http_request_duration_seconds_count{method="other",route="unmatched",status="4xx"}"#) == 2)
            #expect(!text.contains("BREW") && !text.contains("WHEN"))
        }
    }
}
