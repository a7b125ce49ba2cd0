import Foundation
import Hummingbird
import JWTKit
@testable import PortalAPI
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Sign-in, rotation, reuse detection, sign-out, and the tokens the API refuses (the seed's RefreshTokens.SQL).
@Suite struct SessionTests {
    typealias Emails = Organisation.Emails

    @Test func signInGivesTokensThatIdentifyTheUser() async throws {
        try await AppHarness.run { app in
            let response = try await app.login(Emails.maria)
            #expect(response.status == .ok)
            #expect(response.json?["token_type"]?.stringValue == "Bearer")
            #expect(response.json?["expires_in"]?.intValue == 300)
            let session = try await app.signIn(Emails.maria)
            let me = try await app.api(.get, "/api/v1/me", token: session.access)
            #expect(me.status == .ok)
            #expect(me.json?["email"]?.stringValue == Emails.maria)
            #expect(me.json?["role"]?.stringValue == "manager")
            #expect(me.json?["pod"]?.stringValue == "payments")

            // Only the hash of the refresh token is stored, never the token.
            let stored = try await Rows.strings("SELECT token_hash FROM refresh_tokens", in: app.database)
            #expect(stored.count == 2)
            #expect(!stored.contains(session.refresh))
            #expect(stored.contains(TokenService.hash(session.refresh)))
            #expect(try await Rows.strings("SELECT action FROM audit_logs", in: app.database).contains("auth.login"))
        }
    }

    @Test func wrongPasswordUnknownEmailAndInactiveUserGetTheSameAnswer() async throws {
        try await AppHarness.run { app in
            let wrongPassword = try await app.login(Emails.dev, password: "not the password at all")
            let unknown = try await app.login("nobody@example.com")
            let inactive = try await app.login(Emails.olga)
            for response in [wrongPassword, unknown, inactive] {
                #expect(response.status == .unauthorized)
                #expect(response.json == wrongPassword.json)
                #expect(response.errorCode == "invalid_credentials")
            }
            let malformed = try await app.api(.post, "/api/v1/auth/login", json: ["email": "dev@example.com"])
            #expect(malformed.status == .badRequest)
            #expect(malformed.json?["error"]?["field"]?.stringValue == "password")
        }
    }

    @Test func refreshRotatesAndTheOldTokenIsSpent() async throws {
        try await AppHarness.run { app in
            let first = try await app.signIn(Emails.dev)
            let rotated = try await app.api(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(first.refresh)])
            #expect(rotated.status == .ok)
            let newRefresh = try #require(rotated.json?["refresh_token"]?.stringValue)
            let newAccess = try #require(rotated.json?["access_token"]?.stringValue)
            #expect(newRefresh != first.refresh)
            #expect(try await app.api(.get, "/api/v1/me", token: newAccess).status == .ok)
            // The same session: one live token, the rotated one marked as replaced.
            let tokens = try await Rows.strings(
                "SELECT count(DISTINCT family_id) || ' sessions, ' || count(*) FILTER (WHERE revoked_at IS NULL) || ' live' FROM refresh_tokens",
                in: app.database)
            #expect(tokens == ["1 sessions, 1 live"])
            // Refreshing does not extend the session: it ends JWT_REFRESH_EXPIRES_DAYS after sign-in.
            #expect(try await Rows.strings("SELECT count(DISTINCT expires_at)::text FROM refresh_tokens", in: app.database) == ["1"])
        }
    }

    @Test func aReusedRefreshTokenEndsTheWholeSession() async throws {
        try await AppHarness.run { app in
            let stolen = try await app.signIn(Emails.dev)
            let other = try await app.signIn(Emails.dev)
            let rotated = try await app.api(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(stolen.refresh)])
            let current = try #require(rotated.json?["refresh_token"]?.stringValue)
            let currentAccess = try #require(rotated.json?["access_token"]?.stringValue)

            let replay = try await app.api(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(stolen.refresh)])
            #expect(replay.status == .unauthorized)
            #expect(replay.errorCode == "refresh_token_reused")
            // Everything of that family is dead: its newest refresh token and its access tokens.
            #expect(try await app.api(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(current)]).status == .unauthorized)
            #expect(try await app.api(.get, "/api/v1/me", token: currentAccess).status == .unauthorized)
            // The user's other session is untouched.
            #expect(try await app.api(.get, "/api/v1/me", token: other.access).status == .ok)
            #expect(try await Rows.strings("SELECT action FROM audit_logs", in: app.database).contains("auth.refresh_reuse"))
        }
    }

    @Test func logoutEndsThisSessionOnly() async throws {
        try await AppHarness.run { app in
            let laptop = try await app.signIn(Emails.dev)
            let phone = try await app.signIn(Emails.dev)
            #expect(try await app.api(.post, "/api/v1/auth/logout", token: laptop.access).status == .noContent)
            #expect(try await app.api(.get, "/api/v1/me", token: laptop.access).status == .unauthorized)
            #expect(try await app.api(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(laptop.refresh)]).status == .unauthorized)
            #expect(try await app.api(.get, "/api/v1/me", token: phone.access).status == .ok)
        }
    }

    @Test func logoutAllVoidsOutstandingAccessTokens() async throws {
        try await AppHarness.run { app in
            let laptop = try await app.signIn(Emails.maria)
            let phone = try await app.signIn(Emails.maria)
            let colleague = try await app.signIn(Emails.dev)
            #expect(try await app.api(.post, "/api/v1/auth/logout-all", token: phone.access).status == .noContent)
            for session in [laptop, phone] {
                #expect(try await app.api(.get, "/api/v1/me", token: session.access).status == .unauthorized)
                #expect(try await app.api(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(session.refresh)]).status == .unauthorized)
            }
            #expect(try await app.api(.get, "/api/v1/me", token: colleague.access).status == .ok)
            // Signing in again works, and the new tokens are good.
            let again = try await app.signIn(Emails.maria)
            #expect(try await app.api(.get, "/api/v1/me", token: again.access).status == .ok)
        }
    }

    @Test func sessionsAreListedAndCanBeEndedOneByOne() async throws {
        try await AppHarness.run { app in
            let laptop = try await app.signIn(Emails.dev)
            let phone = try await app.login(Emails.dev, device: "phone")
            let phoneAccess = try #require(phone.json?["access_token"]?.stringValue)
            let listed = try await app.api(.get, "/api/v1/auth/sessions", token: laptop.access)
            let sessions = try #require(listed.json?["sessions"]?.arrayValue)
            #expect(sessions.count == 2)
            #expect(Set(sessions.compactMap { $0["device"]?.stringValue }) == ["test browser", "phone"])
            #expect(sessions.filter { $0["current"]?.boolValue == true }.count == 1)
            let phoneID = try #require(sessions.first { $0["device"]?.stringValue == "phone" }?["id"]?.stringValue)

            // Another user cannot end it (and cannot tell that it exists).
            let maria = try await app.signIn(Emails.maria)
            #expect(try await app.api(.delete, "/api/v1/auth/sessions/\(phoneID)", token: maria.access).status == .notFound)
            #expect(try await app.api(.get, "/api/v1/me", token: phoneAccess).status == .ok)

            #expect(try await app.api(.delete, "/api/v1/auth/sessions/\(phoneID)", token: laptop.access).status == .noContent)
            #expect(try await app.api(.get, "/api/v1/me", token: phoneAccess).status == .unauthorized)
            #expect(try await app.api(.get, "/api/v1/me", token: laptop.access).status == .ok)
        }
    }

    @Test func expiredAndForgedTokensAreRefused() async throws {
        try await AppHarness.run { app in
            let session = try await app.signIn(Emails.dev)
            let parts = session.access.split(separator: ".").map(String.init)
            try #require(parts.count == 3)
            let payload = try #require(Data(base64URL: parts[1]))
            var claims = try #require(JSONValue.decode(payload))
            let adaID = try await Rows.strings("SELECT id::text FROM users WHERE email = 'ada@example.com'", in: app.database)

            // alg: none, the same claims, no signature.
            let none = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URL + "." + parts[1] + "."
            // Signed with another key.
            let otherKeys = JWTKeyCollection()
            await otherKeys.add(hmac: HMACKey(from: "another-secret-that-is-long-enough-to-use"), digestAlgorithm: .sha256)
            let wrongKey = try await otherKeys.sign(TokenService.AccessClaims(
                sub: SubjectClaim(value: claims["sub"]?.stringValue ?? ""), sid: claims["sid"]?.stringValue ?? "",
                iat: IssuedAtClaim(value: Date()), exp: ExpirationClaim(value: Date().addingTimeInterval(300))))
            // The right signature over altered claims: Dev's token made to say it is Ada's.
            if case .object(var object) = claims { object["sub"] = .string(adaID.first ?? ""); claims = .object(object) }
            let altered = parts[0] + "." + claims.encoded().base64URL + "." + parts[2]
            // Correctly signed, but expired.
            let devID = try await Rows.strings("SELECT id::text FROM users WHERE email = 'dev@example.com'", in: app.database)
            let expired = try await app.tokens.accessToken(
                userID: Int(devID.first ?? "") ?? 0, session: try #require(UUID(uuidString: claims["sid"]?.stringValue ?? "")),
                now: Date().addingTimeInterval(-3600))

            #expect(try await app.api(.get, "/api/v1/me", token: session.access).status == .ok)
            for forged in [none, wrongKey, altered, expired, "not-a-token", ""] {
                let response = try await app.api(.get, "/api/v1/me", token: forged)
                #expect(response.status == .unauthorized, "accepted: \(forged)")
                #expect(response.errorCode == "unauthenticated")
            }
            #expect(try await app.api(.get, "/api/v1/me").status == .unauthorized)
            #expect(try await app.api(.get, "/api/v1/me", headers: [.authorization: "Basic ZGV2OmRldg=="]).status == .unauthorized)
        }
    }

    @Test func aDeactivatedUserIsLockedOutAtOnce() async throws {
        try await AppHarness.run { app in
            let session = try await app.signIn(Emails.devi)
            try await app.store.setUserActive(email: .init(Emails.devi), active: false, by: .system)
            #expect(try await app.api(.get, "/api/v1/me", token: session.access).status == .unauthorized)
            #expect(try await app.api(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(session.refresh)]).status == .unauthorized)
            #expect(try await app.login(Emails.devi).status == .unauthorized)
        }
    }

    @Test func reactivationRevivesNoSessionOfBeforeTheDeactivation() async throws {
        try await AppHarness.run { app in
            let laptop = try await app.signIn(Emails.devi)
            let phone = try await app.signIn(Emails.devi)
            let colleague = try await app.signIn(Emails.dev)
            try await app.store.setUserActive(email: .init(Emails.devi), active: false, by: .system)
            try await app.store.setUserActive(email: .init(Emails.devi), active: true, by: .system)
            for session in [laptop, phone] {
                #expect(try await app.api(.get, "/api/v1/me", token: session.access).status == .unauthorized)
                #expect(try await app.api(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(session.refresh)]).status == .unauthorized)
            }
            #expect(try await app.api(.get, "/api/v1/me", token: colleague.access).status == .ok, "another user's session ended")
            // Signing in afresh works; the deactivation's audit row counts what it ended.
            let again = try await app.signIn(Emails.devi)
            #expect(try await app.api(.get, "/api/v1/me", token: again.access).status == .ok)
            let details = try await Rows.strings(
                "SELECT details->>'sessions_ended' FROM audit_logs WHERE action = 'user.deactivated' AND details->>'email' = 'devi@example.com'",
                in: app.database)
            #expect(details == ["2"])
        }
    }

    @Test func failedSignInsAreLimitedPerAccount() async throws {
        try await AppHarness.run { app in
            for _ in 0..<AuthRoutes.accountLimit {
                #expect(try await app.login(Emails.sam, password: "guess guess guess").status == .unauthorized)
            }
            // Now even the right password waits, and the answer says for how long.
            let limited = try await app.login(Emails.sam)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "too_many_attempts")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
            // Other accounts are not affected.
            #expect(try await app.login(Emails.ada).status == .ok)
        }
    }

    @Test func aBurstOfGuessesGetsNoMoreThanTheLimit() async throws {
        try await AppHarness.run { app in
            // Spellings of one account, sent at once: the limit holds for their sum.
            let spellings = [Emails.sam, " \(Emails.sam)", "SAM@example.com", "\(Emails.sam)\t"]
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for attempt in 0..<12 {
                    group.addTask { try await app.login(spellings[attempt % spellings.count], password: "guess \(attempt) guess").status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == AuthRoutes.accountLimit)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 12 - AuthRoutes.accountLimit)
            let recorded = try await Rows.strings(
                "SELECT DISTINCT details->>'email' FROM audit_logs WHERE action = 'auth.login_failed'", in: app.database)
            #expect(recorded == [Emails.sam])
        }
    }

    @Test func failedSignInsAreLimitedPerClientAddress() async throws {
        try await AppHarness.run(.live) { app in
            for attempt in 0..<AuthRoutes.addressLimit {
                #expect(try await app.login("nobody\(attempt)@example.com").status == .unauthorized)
            }
            let limited = try await app.login(Emails.ada)
            #expect(limited.status == .tooManyRequests)
            let recorded = try await Rows.strings("SELECT DISTINCT details->>'ip' FROM audit_logs WHERE action = 'auth.login_failed'", in: app.database)
            #expect(recorded == ["127.0.0.1"])
        }
    }
}

extension Data {
    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }

    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
