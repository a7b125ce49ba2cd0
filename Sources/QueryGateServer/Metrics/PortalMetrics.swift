import Foundation
import Hummingbird
import PortalStore
import Prometheus
import QueryGateCore
import SlackGateway

/// What `GET /metrics` shows, in Prometheus' text format (swift-prometheus's registry, one per application):
/// - read off the portal database at each scrape, for every replica at once: requests by status and door,
///   finished runs by outcome and engine, Slack notifications and their delivery attempts by status and type,
///   decisions by kind, outcome and door (from the audit log), sync runs by status;
/// - measured in this process: HTTP request durations by route (`HTTPMetricsMiddleware`).
///
/// Not public: a scrape needs `Authorization: Bearer <QUERYGATE_METRICS_TOKEN>`; without the setting the route
/// does not exist.
public final class PortalMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let store: PortalStore
    let token: String
    let deadline: PortalDeadline.Budget

    public init(store: PortalStore, token: String, deadline: PortalDeadline.Budget = .api) {
        self.store = store
        self.token = token
        self.deadline = deadline
    }

    /// Every label set is set each time, to 0 where the database has no row, so that a value that fell to nothing
    /// (the last pending request decided) does not keep showing its old count.
    func render() async throws -> String {
        let counts = try await store.counts()
        let doors = Set(SubmissionDoor.allCases.map(\.rawValue) + counts.requests.keys.map(\.second))
        for status in RequestStatus.allCases.map(\.rawValue) {
            for door in doors {
                registry.makeGauge(name: "querygate_requests", labels: [("status", status), ("door", door)])
                    .set(Double(counts.requests[.init(status, door)] ?? 0))
            }
        }
        for outcome in ["completed", "failed"] {
            for engine in DatabaseType.allCases.map(\.rawValue) {
                registry.makeGauge(name: "querygate_executions", labels: [("outcome", outcome), ("engine", engine)])
                    .set(Double(counts.executions[.init(outcome, engine)] ?? 0))
            }
        }
        let types = Set(counts.notifications.keys.map(\.second))
        for status in ["pending", "sent", "failed"] {
            for type in types {
                registry.makeGauge(name: "querygate_slack_notifications", labels: [("status", status), ("type", type)])
                    .set(Double(counts.notifications[.init(status, type)] ?? 0))
                registry.makeGauge(name: "querygate_slack_delivery_attempts", labels: [("status", status), ("type", type)])
                    .set(Double(counts.deliveryAttempts[.init(status, type)] ?? 0))
            }
        }
        let decisionDoors = Set(["slack", "api", "cli"] + counts.decisions.keys.map(\.door))
        for (decision, outcomes) in [("approve", ["decided", "counted", "refused", "lost"]), ("reject", ["decided", "refused", "lost"]),
                                     ("cancel", ["decided", "refused", "lost"])] {
            for outcome in outcomes {
                for door in decisionDoors {
                    registry.makeGauge(name: "querygate_decisions", labels: [("decision", decision), ("outcome", outcome), ("door", door)])
                        .set(Double(counts.decisions[.init(decision, outcome, door)] ?? 0))
                }
            }
        }
        for status in ["queued", "running", "succeeded", "failed"] {
            registry.makeGauge(name: "querygate_sync_runs", labels: [("status", status)]).set(Double(counts.syncRuns[status] ?? 0))
        }
        return registry.emitToString()
    }

    /// One HTTP answer, by the route's pattern (never the path itself: ids would make a series each).
    func observe(method: String, route: String, status: Int, duration: Duration) {
        // A client chooses the method; one it made up must not become a series of its own for every new name.
        let method = Self.knownMethods.contains(method) ? method : "other"
        registry.makeDurationHistogram(
            name: "querygate_http_request_duration_seconds",
            labels: [("method", method), ("route", route), ("status", "\(status / 100)xx")],
            buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                      .milliseconds(2500), .seconds(5)]
        ).record(duration)
    }

    /// One run on a target, by engine and outcome.
    func observeRun(engine: DatabaseType, outcome: String, duration: Duration) {
        registry.makeDurationHistogram(
            name: "querygate_execution_duration_seconds", labels: [("engine", engine.rawValue), ("outcome", outcome)],
            buckets: [.milliseconds(10), .milliseconds(100), .seconds(1), .seconds(5), .seconds(30), .seconds(120), .seconds(600)]
        ).record(duration)
    }

    /// One Web API call, by method and by how it ended: `ok`, Slack's error code, `rate_limited` or `transient`.
    func observeSlackCall(method: String, result: SlackCallResult) {
        let outcome = switch result {
        case .ok: "ok"
        case .apiError(let error, _): error
        case .rateLimited: "rate_limited"
        case .transient: "transient"
        }
        registry.makeCounter(name: "querygate_slack_api_calls_total", labels: [("method", method), ("outcome", outcome)]).increment()
    }

    /// `GET /metrics`, for a scraper holding the token.
    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("metrics") { [self] request, _ -> Response in
            let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
            guard Self.constantTimeEqual(given, token) else {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer", .contentType: "text/plain; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: "send Authorization: Bearer <QUERYGATE_METRICS_TOKEN>\n")))
            }
            // A scraper waits too: past the API's budget it is told the portal database does not answer.
            let text: String
            do {
                text = try await PortalDeadline.answer(within: deadline) { [self] in try await render() }
            } catch is PortalUnavailable {
                return Response(status: .serviceUnavailable, headers: [.retryAfter: "30", .contentType: "text/plain; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: "QueryGate's database does not answer; no counts now\n")))
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }

    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// So that the time a comparison takes says nothing about how much of the token was right.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The Web API, each call counted for `PortalMetrics`.
struct ObservedSlackWebAPI: SlackWebAPI {
    let wrapped: any SlackWebAPI
    let metrics: PortalMetrics

    func call(_ method: String, _ arguments: JSONValue) async -> SlackCallResult {
        let result = await wrapped.call(method, arguments)
        metrics.observeSlackCall(method: method, result: result)
        return result
    }

    func call(_ method: String, form: [String: String]) async -> SlackCallResult {
        let result = await wrapped.call(method, form: form)
        metrics.observeSlackCall(method: method, result: result)
        return result
    }

    func upload(to url: String, length: Int, next: @escaping @Sendable () async throws -> ByteBuffer?) async -> SlackCallResult {
        let result = await wrapped.upload(to: url, length: length, next: next)
        metrics.observeSlackCall(method: "files.upload_url", result: result)
        return result
    }
}

/// Times every answer for `PortalMetrics`, labelled by the matched route's pattern.
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: PortalMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.observe(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: response.status.code,
                            duration: started.duration(to: .now))
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.observe(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status,
                            duration: started.duration(to: .now))
            throw error
        }
    }
}
