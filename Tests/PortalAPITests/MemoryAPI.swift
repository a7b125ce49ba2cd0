import Foundation
import Hummingbird
import HummingbirdTesting
import PortalAPI
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateServer
import QueryGateTestSupport
import SlackGateway

/// The portal API's routes on twins in memory, for the contract tests' memory runs. Its `PortalStore`, which a route
/// on the twins never reaches, is a client that is never run, pointed at a closed port: a route that reached it
/// would fail, not find a database.
enum MemoryAPI {
    /// One API call: method, path, bearer token, JSON body.
    typealias Call = @Sendable (HTTPRequest.Method, String, String?, JSONValue?) async throws -> APIResponse

    static func run(
        sessions: MemorySessionStore, requests: (any RequestRepository)? = nil, directory: (any Directory)? = nil,
        hasher: PasswordHasher, _ body: @escaping @Sendable (@escaping Call) async throws -> Void
    ) async throws {
        let unused = PostgresClient(configuration: .init(host: "127.0.0.1", port: 1, username: "unused", password: nil, database: nil, tls: .disable))
        let store = PortalStore(client: unused, logger: AppHarness.quietLogger)
        let tokens = await TokenService(secret: "memory-contract-secret-that-is-long-enough-0123456789", accessLifetime: .seconds(60),
                                        refreshLifetimeDays: 7)
        // The patient budget, as on PostgreSQL: production's 5 s is for an outage, and these tests model none; on a
        // machine busy with 400 other tests even a twin's answer can take that long.
        let api = PortalAPI(store: store, sessions: sessions, requests: requests, directory: directory, tokens: tokens, hasher: hasher,
                            deadline: AppHarness.patientDeadline, logger: AppHarness.quietLogger)
        let router = Router(context: QueryGateRequestContext.self)
        router.add(middleware: APIMiddleware(allowedOrigins: []))
        api.register(on: router)
        try await Application(router: router, logger: AppHarness.quietLogger).test(.router) { client in
            try await body { method, path, token, json in
                var fields = HTTPFields()
                if let token { fields[.authorization] = "Bearer \(token)" }
                if json != nil { fields[.contentType] = "application/json" }
                let response = try await client.execute(uri: path, method: method, headers: fields, body: json.map { ByteBuffer(bytes: $0.encoded()) })
                return APIResponse(status: response.status, headers: response.headers, json: JSONValue.decode(response.body.readableBytesView))
            }
        }
    }
}
