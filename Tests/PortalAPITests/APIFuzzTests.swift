import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Seeded, time-bounded fuzzing of the API: every operation, JSON bodies of the wrong shape and type, bytes
/// that are not JSON, hostile query strings and paths, any content type. Nothing crashes, nothing answers 5xx.
@Suite struct APIFuzzTests {
    @Test(.timeLimit(.minutes(10)))
    func hostileBodiesAndParametersNeverCrashOrAnswer5xx() async throws {
        try await AppHarness.run { app in
            var fuzz = Fuzz("api bodies")
            let seed = fuzz.seed
            let dev = try await app.signIn(Organisation.Emails.dev)
            let maria = try await app.signIn(Organisation.Emails.maria)
            let id = try await app.submitThroughAPI(as: dev.access)
            let deadline = ContinuousClock.now + fuzz.duration
            var sent = 0
            while ContinuousClock.now < deadline || sent < Fuzz.minimumInputs {
                let (method, path, contentType, body) = Self.request(&fuzz, requestID: id, refresh: dev.refresh)
                var headers: HTTPFields = [:]
                if fuzz.chance(85) { headers[.authorization] = "Bearer " + fuzz.pick([dev.access, maria.access, "x.y.z"]) }
                if let contentType { headers[.contentType] = contentType }
                let response = try await app.client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
                sent += 1
                let shown = body.map { String(decoding: $0.prefix(300), as: UTF8.self) } ?? ""
                #expect(response.status.code < 500, "seed \(seed), request \(sent): \(method) \(path) \(contentType ?? "-") \(shown) → \(response.status)")
                if response.status.code >= 500 { break }
                #expect(response.headers[.contentType] == "application/json; charset=utf-8" || response.status == .noContent,
                        "seed \(seed): \(method) \(path) answered without JSON")
            }
            print("fuzz api bodies: \(sent) requests, seed \(seed)")
            #expect(try await app.api(.get, "/api/v1/me", token: maria.access).status == .ok)
        }
    }

    static let fields = ["email", "password", "device", "refresh_token", "target", "type", "query", "reason"]

    static func request(_ fuzz: inout Fuzz, requestID: Int, refresh: String) -> (HTTPRequest.Method, String, String?, [UInt8]?) {
        let operations: [(HTTPRequest.Method, String)] = [
            (.post, "/api/v1/auth/login"), (.post, "/api/v1/auth/refresh"), (.post, "/api/v1/requests"),
            (.post, "/api/v1/requests/\(requestID)/reject"), (.post, "/api/v1/requests/\(requestID)/approve"),
            (.post, "/api/v1/requests/\(requestID)/cancel"), (.get, "/api/v1/requests"), (.get, "/api/v1/databases"),
            (.get, "/api/v1/requests/\(requestID)"), (.get, "/api/v1/audit"), (.delete, "/api/v1/auth/sessions/x"),
        ]
        var (method, path) = fuzz.pick(operations)
        if fuzz.chance(15) { path = path.replacingOccurrences(of: "/\(requestID)", with: "/" + Fuzz.formEncode(Array(fuzz.hostileString().utf8))) }
        if method == .get || fuzz.chance(10) {
            let names = ["status", "pod", "database", "submitter", "from", "to", "limit", "cursor", "search"]
            let query = (0..<fuzz.below(4)).map { _ in "\(fuzz.pick(names))=\(Fuzz.formEncode(Array(fuzz.hostileString().prefix(500).utf8)))" }
            if !query.isEmpty { path += "?" + query.joined(separator: "&") }
        }
        let contentType = fuzz.chance(80) ? "application/json" : fuzz.pick([nil, "text/plain", "application/json; charset=utf-8", "application/json; charset=utf-16"])
        let body: [UInt8]?
        switch fuzz.below(6) {
        case 0: body = fuzz.hostileJSONText()
        case 1: body = nil
        case 2: body = Array(fuzz.hostileJSON().encoded())
        default:
            var object: [String: JSONValue] = [:]
            for name in fields where fuzz.chance(60) {
                object[name] = fuzz.chance(40) ? .string(name == "refresh_token" ? refresh : "SELECT 1") : fuzz.hostileJSON()
            }
            body = Array(JSONValue.object(object).encoded())
        }
        return (method, path, contentType, body)
    }
}
