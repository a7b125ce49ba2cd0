import Foundation
import Hummingbird
import Logging
import PortalAPI
import NIOPosix
import PortalStore
import PostgresNIO
import RequestExecution
import ServiceLifecycle
import SlackGateway
import TargetEngines

/// The composition root of the HTTP side: the routes and the services they need.
public enum QueryGateApp {
    /// The routes QueryGate serves. Kept apart from `build` so router-level tests run them without a socket.
    public static func router(
        store: PortalStore, slack: SlackRoutes, api: PortalAPI? = nil, corsOrigins: [String] = [], metrics: PortalMetrics? = nil,
        extraRoutes: (Router<QueryGateRequestContext>) -> Void = { _ in }
    ) -> Router<QueryGateRequestContext> {
        let router = Router(context: QueryGateRequestContext.self)
        // Outermost of all, so that the time measured is the whole answer's.
        if let metrics { router.add(middleware: HTTPMetricsMiddleware(metrics: metrics)) }
        // Outermost: the security headers go on every answer, including errors and paths no route matches.
        router.add(middleware: SecurityHeadersMiddleware())
        // Then the API's frame, so that it turns every /api/ answer into JSON, including paths no route matches.
        router.add(middleware: APIMiddleware(allowedOrigins: corsOrigins))
        HealthRoutes(store: store).register(on: router)
        metrics?.register(on: router)
        slack.register(on: router)
        if let api { api.register(on: router) } else { PortalAPI.registerUnconfigured(on: router) }
        extraRoutes(router)
        return router
    }

    /// The portal API as configured: off (503) without JWT_SECRET.
    public static func portalAPI(configuration: QueryGateConfiguration, store: PortalStore, threadPool: NIOThreadPool, logger: Logger) async throws -> PortalAPI? {
        guard let secret = configuration.jwt.secret else {
            logger.notice("JWT_SECRET is not set: the portal API (/api/v1) is off")
            return nil
        }
        let tokens = await TokenService(secret: secret.reveal(), accessLifetime: configuration.jwt.accessTokenLifetime,
                                        refreshLifetimeDays: configuration.jwt.refreshTokenLifetimeDays)
        let hasher = try await PasswordHasher(threadPool: threadPool, cost: configuration.jwt.bcryptCost)
        return PortalAPI(store: store, tokens: tokens, hasher: hasher, logger: logger)
    }

    /// The Slack endpoints as configured: without a signing secret they refuse every request (503).
    public static func slackRoutes(configuration: QueryGateConfiguration, store: PortalStore, webAPI: any SlackWebAPI, logger: Logger) -> SlackRoutes {
        SlackRoutes(
            verifier: configuration.slack.signingSecret.map { SlackRequestVerifier(signingSecret: $0.reveal()) },
            store: store, slack: webAPI, logger: logger)
    }

    /// The application: the router on `host:port`, with the portal client and the Slack outbox worker run as its
    /// services. `beforeServing` runs once the client is up and before the first request is accepted (migrations).
    /// `extraRoutes` adds routes beside QueryGate's own: `querygate demo` mounts its Slack stand-in and console
    /// there; `serve` adds none.
    public static func build(
        configuration: QueryGateConfiguration,
        client: PostgresClient,
        logger: Logger,
        beforeServing: @escaping @Sendable () async throws -> Void = {},
        extraRoutes: (Router<QueryGateRequestContext>) -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        let store = PortalStore(client: client, logger: logger)
        let metrics = configuration.metricsToken.map { PortalMetrics(store: store, token: $0.reveal()) }
        let http = HTTPSlackWebAPI(baseURL: configuration.slack.apiURL, token: configuration.slack.botToken?.reveal() ?? "", logger: logger)
        let webAPI: any SlackWebAPI = metrics.map { ObservedSlackWebAPI(wrapped: http, metrics: $0) } ?? http
        var services: [any Service] = [client]
        // The workers start once `beforeServing` (the migrations) has run, not before the tables exist.
        let schemaReady = ReadinessGate()
        var workers: [any Service] = []
        if configuration.slack.signingSecret == nil {
            logger.notice("SLACK_SIGNING_SECRET is not set: the Slack endpoints refuse every request until it is")
        }
        if configuration.execution.concurrency > 0 {
            workers.append(executor(configuration: configuration, store: store, metrics: metrics, logger: logger))
        } else {
            logger.notice("QUERYGATE_EXECUTOR_CONCURRENCY is 0: this process runs no requests; another replica must")
        }
        if configuration.slack.botToken != nil {
            workers.append(SlackOutboxWorker(outbox: store, slack: webAPI, logger: logger))
        } else {
            logger.notice("SLACK_BOT_TOKEN is not set: Slack messages are queued in the portal database, not sent")
        }
        workers.append(RequestExpiry(store: store, defaultTTL: configuration.execution.requestTTL,
                                     reminderPercent: configuration.execution.reminderPercent, logger: logger))
        let sync = DatabaseSync(store: store, threadPool: .singleton, environment: configuration.targetEnvironment.values,
                                timeout: configuration.sync.timeout, logger: logger)
        workers.append(SyncWorker(sync: sync, store: store, interval: configuration.sync.interval, logger: logger))
        if configuration.sync.interval == nil {
            logger.notice("QUERYGATE_SYNC_INTERVAL is 0: databases are synced only on demand (CLI, API, /query sync)")
        }
        services += workers.map { GatedService(gate: schemaReady, service: $0) }
        let api = try await portalAPI(configuration: configuration, store: store, threadPool: .singleton, logger: logger)
        var app = Application(
            router: router(store: store, slack: slackRoutes(configuration: configuration, store: store, webAPI: webAPI, logger: logger), api: api,
                           corsOrigins: configuration.corsOrigins,
                           metrics: metrics,
                           extraRoutes: extraRoutes),
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "querygate"),
            services: services,
            logger: logger
        )
        app.beforeServerStarts {
            try await beforeServing()
            schemaReady.open()
        }
        return app
    }

    /// The executor, with its engines on a thread pool of their own, so blocking driver calls never reach an
    /// event loop.
    static func executor(configuration: QueryGateConfiguration, store: PortalStore, metrics: PortalMetrics?, logger: Logger) -> RequestExecutor {
        let threadPool = NIOThreadPool(numberOfThreads: max(2, configuration.execution.concurrency))
        threadPool.start()
        var settings = RequestExecutor.Settings()
        settings.concurrency = configuration.execution.concurrency
        settings.lease = configuration.execution.lease
        settings.credentials = configuration.targetEnvironment.values
        if let metrics { settings.observeRun = { metrics.observeRun(engine: $0, outcome: $1, duration: $2) } }
        settings.spoolDirectory = configuration.dataDirectory.appendingPathComponent("exports", isDirectory: true)
        try? FileManager.default.createDirectory(at: settings.spoolDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return RequestExecutor(
            queue: store, postgres: PostgresEngine(threadPool: threadPool, limits: configuration.execution.limits, logger: logger),
            mongo: MongoEngine(threadPool: threadPool, limits: configuration.execution.limits, logger: logger),
            settings: settings, logger: logger)
    }
}
