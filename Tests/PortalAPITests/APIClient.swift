import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway

/// An answer of the API, its body read as JSON.
struct APIResponse {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let json: JSONValue?

    /// `error.code` of an error answer.
    var errorCode: String? { json?["error"]?["code"]?.stringValue }
}

/// The two tokens of a signed-in portal session.
struct PortalSession {
    let access: String
    let refresh: String
}

extension AppHarness {
    /// Calls the API as a browser would: JSON in, JSON out, with a bearer token when given.
    func api(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, json body: JSONValue? = nil, headers: HTTPFields = [:]
    ) async throws -> APIResponse {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if let body {
            fields[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: body.encoded())
        }
        let response = try await client.execute(uri: path, method: method, headers: fields, body: buffer)
        return APIResponse(status: response.status, headers: response.headers, json: JSONValue.decode(response.body.readableBytesView))
    }

    func login(_ email: String, password: String = AppHarness.password, device: String = "test browser") async throws -> APIResponse {
        try await api(.post, "/api/v1/auth/login", json: ["email": .string(email), "password": .string(password), "device": .string(device)])
    }

    /// Signs in and returns the session's tokens, failing the test if sign-in fails.
    func signIn(_ email: String) async throws -> PortalSession {
        let response = try await login(email)
        guard response.status == .ok, let access = response.json?["access_token"]?.stringValue,
              let refresh = response.json?["refresh_token"]?.stringValue
        else { throw HarnessError("sign-in of \(email) failed: \(response.status) \(String(describing: response.json))") }
        return PortalSession(access: access, refresh: refresh)
    }

    /// Submits a request through the API and returns its id.
    func submitThroughAPI(
        _ query: String = "SELECT count(*) FROM customers", reason: String = "Ticket 4711", as token: String
    ) async throws -> Int {
        let response = try await api(.post, "/api/v1/requests", token: token,
                                     json: ["target": "pg-main/customer_db", "query": .string(query), "reason": .string(reason)])
        guard response.status == .created, let id = response.json?["id"]?.intValue else {
            throw HarnessError("API submission failed: \(response.status) \(String(describing: response.json))")
        }
        return id
    }
}

extension JSONValue {
    var intValue: Int? {
        if case .number(let number) = self { return Int(exactly: number) }
        return nil
    }
}
