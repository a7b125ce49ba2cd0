import Foundation
import Hummingbird

/// The request context of the `/api/v1` routes: QueryGate's (the client's address), plus who is calling once
/// `PortalAPI.register` has authenticated them, and the API's JSON, configured here once. A child of
/// `QueryGateRequestContext`, so that the Slack and health routes, which share the router, keep theirs.
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

    /// API bodies are small (a query is at most 20,000 characters); anything larger is refused (413) before it
    /// is read whole.
    var maxUploadSize: Int { 256 * 1024 }

    /// ISO 8601 dates. Keys are not converted: the bodies' properties are already the API's snake_case words.
    var requestDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// ISO 8601 dates, and keys sorted so that the same answer is always the same bytes. Keys are not converted:
    /// the views' properties are already the API's snake_case words, and a strategy would also rewrite the keys
    /// of dictionaries such as an audit entry's `details`.
    var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
