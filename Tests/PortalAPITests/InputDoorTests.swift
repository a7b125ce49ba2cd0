import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// The API's doors: JSON bodies only (415), no NUL anywhere (400 naming the field), dates that exist.
@Suite struct InputDoorTests {
    typealias Emails = Organisation.Emails

    /// A body sent as is, with the given content type (none when nil).
    static func raw(
        _ app: AppHarness, _ method: HTTPRequest.Method, _ path: String, token: String? = nil, contentType: String?, body: String
    ) async throws -> APIResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let contentType { headers[.contentType] = contentType }
        let response = try await app.client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: body))
        return APIResponse(status: response.status, headers: response.headers, json: JSONValue.decode(response.body.readableBytesView))
    }

    @Test func aNULAnywhereInABodyIsA400NamingTheFieldAndNothingIsStored() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            let cases: [(String, JSONValue, String)] = [
                ("/api/v1/requests", ["target": "pg-main/customer_db", "query": "SELECT 1", "reason": "why\u{0}"], "reason"),
                ("/api/v1/requests", ["target": "pg-main/customer_db", "query": "SELECT '\u{0}'", "reason": "why"], "query"),
                ("/api/v1/requests", ["target": "pg-main/cust\u{0}omer_db", "query": "SELECT 1", "reason": "why"], "target"),
                ("/api/v1/requests", ["target": "pg-main/customer_db", "query": "SELECT 1", "reason": "why", "extra": ["a", "b\u{0}"]], "extra.1"),
                ("/api/v1/auth/login", ["email": "dev\u{0}@example.com", "password": "x"], "email"),
                ("/api/v1/auth/login", ["email": .string(Emails.dev), "password": .string(AppHarness.password + "\u{0}")], "password"),
                ("/api/v1/auth/login", ["email": .string(Emails.dev), "password": .string(AppHarness.password), "device": "phone\u{0}"], "device"),
                ("/api/v1/auth/refresh", ["refresh_token": .string(dev.refresh), "device": "\u{0}"], "device"),
            ]
            for (path, body, field) in cases {
                let response = try await app.api(.post, path, token: dev.access, json: body)
                #expect(response.status == .badRequest, "\(path) \(field)")
                #expect(response.errorCode == "invalid_input")
                #expect(response.json?["error"]?["field"]?.stringValue == field, "\(String(describing: response.json))")
                #expect(response.json?["error"]?["message"]?.stringValue?.contains("NUL") == true)
            }
            let id = try await app.submitThroughAPI(as: try await app.signIn(Emails.dev).access)
            let maria = try await app.signIn(Emails.maria)
            let reject = try await app.api(.post, "/api/v1/requests/\(id)/reject", token: maria.access, json: ["reason": "no\u{0}"])
            #expect(reject.status == .badRequest)
            #expect(reject.json?["error"]?["field"]?.stringValue == "reason")
            #expect(try await app.status(of: id) == .pending)
            #expect(try await Rows.count("query_requests", in: app.database) == 1)
            #expect(try await Rows.strings("SELECT action FROM audit_logs WHERE action = 'auth.login_failed'", in: app.database).isEmpty)
        }
    }

    @Test func aNULInAQueryStringIsA400NamingTheParameter() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            for (path, field) in [("/api/v1/databases?search=cust%00", "search"), ("/api/v1/requests?submitter=a%00@example.com", "submitter"),
                                  ("/api/v1/requests?database=x%00", "database"), ("/api/v1/requests?status=%00", "status")] {
                let response = try await app.api(.get, path, token: dev.access)
                #expect(response.status == .badRequest, "\(path)")
                #expect(response.json?["error"]?["field"]?.stringValue == field, "\(path)")
            }
            let found = try await app.api(.get, "/api/v1/databases?search=%FF", token: dev.access)
            #expect(found.status == .ok, "an undecodable escape is searched for as typed")
        }
    }

    @Test("Dates that do not exist are a 400 naming the parameter", arguments: [
        "from=2026-01-01T25:00:00Z", "from=2026-02-30", "from=2026-13-01", "to=2026-01-01T10:61:00Z", "to=2025-02-29", "from=2026-01-01T10:00:00",
    ])
    func impossibleDates(query: String) async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            let response = try await app.api(.get, "/api/v1/requests?\(query)", token: dev.access)
            #expect(response.status == .badRequest)
            #expect(response.json?["error"]?["field"]?.stringValue == String(query.prefix { $0 != "=" }))
        }
    }

    @Test func realDatesFilter() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            let id = try await app.submitThroughAPI(as: dev.access)
            let ids = { (query: String) async throws -> [Int] in
                let response = try await app.api(.get, "/api/v1/requests?\(query)", token: dev.access)
                #expect(response.status == .ok, "\(query)")
                return response.json?["requests"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            }
            #expect(try await ids("from=2024-02-29&to=9999-12-31T23:59:59Z") == [id])
            #expect(try await ids("to=2024-02-29T12:00:00%2B01:00").isEmpty)
        }
    }

    @Test func bodiesThatAreNotJSONAre415OnEveryOperationWithABody() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            let maria = try await app.signIn(Emails.maria)
            let id = try await app.submitThroughAPI(as: dev.access)
            let operations: [(String, String?, String)] = [
                ("/api/v1/auth/login", nil, #"{"email": "dev@example.com", "password": "correct horse battery staple"}"#),
                ("/api/v1/auth/refresh", nil, #"{"refresh_token": "\#(dev.refresh)"}"#),
                ("/api/v1/requests", dev.access, #"{"target": "pg-main/customer_db", "query": "SELECT 1", "reason": "x"}"#),
                ("/api/v1/requests/\(id)/reject", maria.access, #"{"reason": "no"}"#),
            ]
            for (path, token, body) in operations {
                for contentType in [nil, "text/plain", "application/x-www-form-urlencoded", "application/json-patch+json",
                                    "application/json; charset=latin1", "multipart/form-data; boundary=x"] as [String?] {
                    let response = try await Self.raw(app, .post, path, token: token, contentType: contentType, body: body)
                    #expect(response.status == .unsupportedMediaType, "\(path) \(contentType ?? "none")")
                    #expect(response.errorCode == "unsupported_media_type")
                    #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                }
            }
            #expect(try await app.status(of: id) == .pending)
            #expect(try await Rows.count("query_requests", in: app.database) == 1)
            // The JSON types that are allowed.
            for contentType in ["application/json; charset=utf-8", "Application/JSON;Charset=UTF-8"] {
                let response = try await Self.raw(app, .post, "/api/v1/requests", token: dev.access, contentType: contentType,
                                                  body: #"{"target": "pg-main/customer_db", "query": "SELECT 1", "reason": "x"}"#)
                #expect(response.status == .created, "\(contentType)")
            }
        }
    }

    @Test func requestIdsOutOfRangeAre404s() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            for id in ["0", "-1", "9223372036854775808", "99999999999999999999", "1e300", "%00", "1.5"] {
                for (method, path) in [(HTTPRequest.Method.get, "/api/v1/requests/\(id)"), (.post, "/api/v1/requests/\(id)/cancel")] {
                    let response = try await app.api(method, path, token: dev.access)
                    #expect(response.status == .notFound, "\(method) \(path)")
                }
            }
        }
    }
}
