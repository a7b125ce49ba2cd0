import Hummingbird

/// The request context of the `/api/v1` routes: QueryGate's (the client's address), plus who is calling once
/// `PortalAPI.register` has authenticated them. A child of `QueryGateRequestContext`, so that the Slack routes,
/// which share the router, know nothing of API callers.
struct PortalRequestContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    /// The peer's IP address as the socket sees it (behind a proxy, the proxy's).
    let clientAddress: String?
    /// Set before the handler of a route that is not open to anyone runs (`APIRoute.Access`).
    var identity: Caller?

    init(context: QueryGateRequestContext) {
        coreContext = context.coreContext
        clientAddress = context.clientAddress
    }

    /// The signed-in caller, on a route that requires one.
    var caller: Caller {
        get throws(APIError) {
            guard let identity else { throw APIError.unauthenticated }
            return identity
        }
    }
}
