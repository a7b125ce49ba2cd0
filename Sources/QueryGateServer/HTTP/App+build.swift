import Hummingbird
import Logging
import PortalStore
import PostgresNIO

/// The composition root of the HTTP side: the routes and the services they need.
public enum QueryGateApp {
    /// The routes QueryGate serves. Kept apart from `build` so router-level tests run them without a socket.
    public static func router(store: PortalStore) -> Router<BasicRequestContext> {
        let router = Router()
        HealthRoutes(store: store).register(on: router)
        return router
    }

    /// The application: the router on `host:port`, with the portal client run as one of its services.
    /// `beforeServing` runs once the client is up and before the first request is accepted (migrations).
    public static func build(
        configuration: QueryGateConfiguration,
        client: PostgresClient,
        logger: Logger,
        beforeServing: @escaping @Sendable () async throws -> Void = {}
    ) -> some ApplicationProtocol {
        let store = PortalStore(client: client, logger: logger)
        var app = Application(
            router: router(store: store),
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "querygate"),
            services: [client],
            logger: logger
        )
        app.beforeServerStarts(perform: beforeServing)
        return app
    }
}
