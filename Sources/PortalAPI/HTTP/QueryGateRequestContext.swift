import Hummingbird

/// The request context of QueryGate's HTTP server: Hummingbird's, plus the client's address, which the sign-in
/// rate limit and the session list use.
public struct QueryGateRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address as the socket sees it (behind a proxy, the proxy's).
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }
}
