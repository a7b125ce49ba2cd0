import Foundation
import Hummingbird
import QueryGateTestSupport
import SlackGateway
import Testing
@testable import PortalAPI

/// `api/openapi.yaml` and the served routes describe the same API, in both directions.
@Suite struct OpenAPITests {
    /// `(METHOD, /path)` of every operation in the spec. The spec's layout is regular (two-space indents, paths
    /// under `paths:`), which a test can read without a YAML library.
    static func specifiedOperations() throws -> Set<String> {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("api/openapi.yaml"), encoding: .utf8)
        var operations: Set<String> = []
        var path: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:" }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(method) { operations.insert("\(method.uppercased()) \(path)") }
            }
        }
        return operations
    }

    @Test func theSpecListsExactlyTheServedRoutes() async throws {
        try await AppHarness.run { app in
            let api = PortalAPI(store: app.store, tokens: app.tokens, hasher: try await PasswordHasher(threadPool: .singleton, cost: 4),
                                logger: AppHarness.quietLogger)
            let served = Set(api.routes.map { "\($0.method.rawValue) \($0.openAPIPath)" })
            let specified = try Self.specifiedOperations()
            #expect(specified.count >= 15)
            #expect(served.subtracting(specified).isEmpty, "served but not in the spec: \(served.subtracting(specified).sorted())")
            #expect(specified.subtracting(served).isEmpty, "in the spec but not served: \(specified.subtracting(served).sorted())")
        }
    }

    @Test func everySpecifiedOperationIsAnsweredByTheServer() async throws {
        try await AppHarness.run { app in
            for operation in try Self.specifiedOperations().sorted() {
                let parts = operation.split(separator: " ")
                let method = HTTPRequest.Method(rawValue: String(parts[0]))!
                let path = String(parts[1]).replacingOccurrences(of: "{id}", with: "1").replacingOccurrences(of: "{name}", with: "pg-main")
                // Without credentials every route says 401 (or 415 for the sign-in routes, which read their body
                // first and get none); a path no route serves says 404.
                let response = try await app.api(method, path)
                #expect([.unauthorized, .unsupportedMediaType].contains(response.status), "\(operation) answered \(response.status)")
            }
        }
    }
}
