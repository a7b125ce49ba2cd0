import Foundation
import Hummingbird
import HummingbirdTesting
import PortalStore
import QueryGateServer
import QueryGateTestSupport
import SlackGateway
import Testing
@testable import PortalAPI

/// What every API answer carries, whatever the route: JSON errors, security headers, CORS for the configured
/// origins only.
@Suite struct HTTPFrameTests {
    @Test func unknownPathsAndMethodsAreJSON404sWithSecurityHeaders() async throws {
        try await AppHarness.run { app in
            for (method, path) in [(HTTPRequest.Method.get, "/api/v1/nothing-here"), (.put, "/api/v1/requests"), (.get, "/api/v2/me")] {
                let response = try await app.api(method, path)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(response.errorCode == "not_found")
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            }
        }
    }

    /// Not only the API: health probes, Slack's endpoints (answered, refused, or failing), and paths nothing serves.
    @Test func everyAnswerCarriesTheSecurityHeaders() async throws {
        try await AppHarness.run { app in
            let signed = try await app.post("/slack/commands", body: SlackSigner.slashCommandBody(text: "help", user: AppHarness.People.dev))
            #expect(signed.status == .ok)
            var answers: [(String, HTTPResponse.Status, HTTPFields)] = [("signed /query help", signed.status, signed.headers)]
            for (method, path) in [(HTTPRequest.Method.get, "/healthz"), (.get, "/readyz"), (.post, "/slack/commands"),
                                   (.post, "/slack/interactions"), (.post, "/slack/events"), (.get, "/nothing-here"), (.delete, "/healthz"),
                                   (.get, "/api/v1/me"), (.post, "/api/v1/auth/login")] {
                let response = try await app.client.execute(uri: path, method: method)
                answers.append(("\(method) \(path)", response.status, response.headers))
            }
            #expect(Set(answers.map(\.1.code)).isSuperset(of: [200, 401, 404, 415]), "\(answers.map { "\($0.0) \($0.1)" })")
            for (what, _, headers) in answers {
                #expect(headers[.xContentTypeOptions] == "nosniff", "\(what)")
                #expect(headers[.init("X-Frame-Options")!] == "DENY", "\(what)")
                #expect(headers[.init("Referrer-Policy")!] == "no-referrer", "\(what)")
                #expect(headers[.cacheControl] == "no-store", "\(what)")
                #expect(headers[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'", "\(what)")
            }
        }
    }

    @Test func browsersOnConfiguredOriginsOnlyGetCORS() async throws {
        try await AppHarness.run { app in
            let preflight = try await app.api(.options, "/api/v1/requests", headers: [
                .origin: AppHarness.portalOrigin, .accessControlRequestMethod: "POST", .accessControlRequestHeaders: "authorization, content-type",
            ])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == AppHarness.portalOrigin)
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            #expect(preflight.headers[.vary] == "Origin")

            let strangerPreflight = try await app.api(.options, "/api/v1/requests", headers: [
                .origin: "https://evil.example", .accessControlRequestMethod: "POST",
            ])
            #expect(strangerPreflight.status == .forbidden)
            #expect(strangerPreflight.headers[.accessControlAllowOrigin] == nil)

            let session = try await app.signIn(Organisation.Emails.dev)
            let allowed = try await app.api(.get, "/api/v1/me", token: session.access, headers: [.origin: AppHarness.portalOrigin])
            #expect(allowed.status == .ok)
            #expect(allowed.headers[.accessControlAllowOrigin] == AppHarness.portalOrigin)
            let stranger = try await app.api(.get, "/api/v1/me", token: session.access, headers: [.origin: "https://evil.example"])
            #expect(stranger.headers[.accessControlAllowOrigin] == nil)
            #expect(allowed.headers[.accessControlAllowCredentials] == nil, "tokens travel in headers, never cookies")
        }
    }

    @Test func withoutAJWTSecretTheAPIIsOffAndSaysSo() async throws {
        try await TestDatabase.withMigrated { database in
            let routes = SlackRoutes(verifier: nil, store: database.store, slack: NoSlack(), logger: AppHarness.quietLogger)
            let router = QueryGateApp.router(store: database.store, slack: routes, api: nil)
            try await Application(router: router).test(.router) { client in
                for path in ["/api/v1/me", "/api/v1/requests/3"] {
                    let response = try await client.execute(uri: path, method: .get)
                    #expect(response.status == .serviceUnavailable)
                    #expect(String(buffer: response.body).contains("api_not_configured"))
                }
                let login = try await client.execute(uri: "/api/v1/auth/login", method: .post)
                #expect(login.status == .serviceUnavailable)
            }
        }
    }

    @Test func unexpectedFailuresSayNothingAboutTheirCause() async throws {
        try await AppHarness.run { app in
            let session = try await app.signIn(Organisation.Emails.ada)
            // Break the portal database under the API: the SQL error must stay in the log.
            try await app.database.client.query("ALTER TABLE audit_logs RENAME TO audit_logs_gone")
            let response = try await app.api(.get, "/api/v1/audit", token: session.access)
            #expect(response.status == .internalServerError)
            #expect(response.errorCode == "internal_error")
            let text = response.json?.allText ?? ""
            #expect(!text.contains("audit_logs"))
            #expect(!text.contains("relation"))
        }
    }
}
