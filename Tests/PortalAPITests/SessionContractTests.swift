import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PortalAPI
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateServer
import QueryGateTestSupport
import SlackGateway
import Testing

/// The portal API's sessions through its routes, once on PostgreSQL (`PortalStore`) and once on the in-memory twin
/// (`MemorySessionStore`), with the same assertions: the twin that route tests use without a database must answer
/// as the real store does. The memory run opens no database connection.
@Suite("Sessions: one contract, two stores")
struct SessionContractTests {
    /// The doors a contract run needs: the API, and deactivating a user as an admin would.
    struct Door: Sendable {
        let call: @Sendable (HTTPRequest.Method, String, String?, JSONValue?) async throws -> APIResponse
        let deactivate: @Sendable (String) async throws -> Void
    }

    typealias Store = ContractStore

    static func withDoor(_ store: Store, _ body: @escaping @Sendable (Door) async throws -> Void) async throws {
        switch store {
        case .postgres:
            try await AppHarness.run { app in
                try await body(Door(
                    call: { method, path, token, json in try await app.api(method, path, token: token, json: json) },
                    deactivate: { email in try await app.store.setUserActive(email: EmailAddress(email), active: false, by: .system) }))
            }
        case .memory:
            try await withMemoryAPI(body)
        }
    }

    /// The API's routes on the memory twin (`MemoryAPI`).
    static func withMemoryAPI(_ body: @escaping @Sendable (Door) async throws -> Void) async throws {
        let sessions = MemorySessionStore()
        let hasher = try await PasswordHasher(threadPool: .singleton, cost: 4)
        let hash = try await hasher.hash(AppHarness.password)
        await sessions.add(User(id: 1, email: Organisation.Emails.dev, name: "Dev", role: .developer, podID: 1, podName: "payments",
                                slackUserID: Organisation.SlackIDs.dev, isActive: true), passwordHash: hash)
        await sessions.add(User(id: 2, email: Organisation.Emails.maria, name: "Maria", role: .manager, podID: 1, podName: "payments",
                                slackUserID: Organisation.SlackIDs.maria, isActive: true), passwordHash: hash)
        try await MemoryAPI.run(sessions: sessions, hasher: hasher) { call in
            try await body(Door(call: call, deactivate: { email in await sessions.deactivate(email: email) }))
        }
    }

    static func signIn(_ door: Door, _ email: String, password: String = AppHarness.password, device: String = "browser") async throws -> APIResponse {
        try await door.call(.post, "/api/v1/auth/login", nil, ["email": .string(email), "password": .string(password), "device": .string(device)])
    }

    static func tokens(_ response: APIResponse) throws -> (access: String, refresh: String) {
        (try #require(response.json?["access_token"]?.stringValue), try #require(response.json?["refresh_token"]?.stringValue))
    }

    @Test("Sign in, rotate, and a spent token that comes back ends the session", arguments: Store.allCases)
    func rotationAndReuse(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let signedIn = try await Self.signIn(door, Organisation.Emails.dev)
            #expect(signedIn.status == .ok)
            #expect(signedIn.json?["user"]?["email"]?.stringValue == Organisation.Emails.dev)
            let first = try Self.tokens(signedIn)
            #expect(try await door.call(.get, "/api/v1/auth/sessions", first.access, nil).status == .ok)

            let rotated = try await door.call(.post, "/api/v1/auth/refresh", nil, ["refresh_token": .string(first.refresh)])
            #expect(rotated.status == .ok)
            let second = try Self.tokens(rotated)
            #expect(second.refresh != first.refresh)

            let reused = try await door.call(.post, "/api/v1/auth/refresh", nil, ["refresh_token": .string(first.refresh)])
            #expect(reused.status == .unauthorized)
            #expect(reused.errorCode == "refresh_token_reused")
            // The whole family ended: the token rotated into it, and its access tokens.
            #expect(try await door.call(.post, "/api/v1/auth/refresh", nil, ["refresh_token": .string(second.refresh)]).status == .unauthorized)
            #expect(try await door.call(.get, "/api/v1/auth/sessions", second.access, nil).status == .unauthorized)
        }
    }

    @Test("Sessions are listed, logout ends one, logout-all the rest", arguments: Store.allCases)
    func listingAndLogout(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let laptop = try Self.tokens(try await Self.signIn(door, Organisation.Emails.dev, device: "laptop"))
            let phone = try Self.tokens(try await Self.signIn(door, Organisation.Emails.dev, device: "phone"))
            let tablet = try Self.tokens(try await Self.signIn(door, Organisation.Emails.dev, device: "tablet"))
            let listed = try await door.call(.get, "/api/v1/auth/sessions", phone.access, nil)
            let devices = listed.json?["sessions"]?.arrayValue?.compactMap { $0["device"]?.stringValue }
            #expect(devices == ["tablet", "phone", "laptop"])
            let current = listed.json?["sessions"]?.arrayValue?.filter { $0["current"]?.boolValue == true }.compactMap { $0["device"]?.stringValue }
            #expect(current == ["phone"])

            #expect(try await door.call(.post, "/api/v1/auth/logout", laptop.access, nil).status == .noContent)
            #expect(try await door.call(.get, "/api/v1/auth/sessions", laptop.access, nil).status == .unauthorized)
            #expect(try await door.call(.get, "/api/v1/auth/sessions", phone.access, nil).json?["sessions"]?.arrayValue?.count == 2)

            #expect(try await door.call(.post, "/api/v1/auth/logout-all", phone.access, nil).status == .noContent)
            #expect(try await door.call(.get, "/api/v1/auth/sessions", tablet.access, nil).status == .unauthorized)
            #expect(try await door.call(.post, "/api/v1/auth/refresh", nil, ["refresh_token": .string(tablet.refresh)]).status == .unauthorized)
        }
    }

    @Test("Wrong passwords are refused, then limited; a deactivated user is out at once", arguments: Store.allCases)
    func refusalsAndLockOut(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let signedIn = try Self.tokens(try await Self.signIn(door, Organisation.Emails.maria))
            for _ in 0..<5 {
                let wrong = try await Self.signIn(door, Organisation.Emails.dev, password: "not the password")
                #expect(wrong.status == .unauthorized)
            }
            #expect(try await Self.signIn(door, Organisation.Emails.dev).status == .tooManyRequests)
            #expect(try await Self.signIn(door, "nobody@example.com").status == .unauthorized)

            try await door.deactivate(Organisation.Emails.maria)
            #expect(try await door.call(.get, "/api/v1/auth/sessions", signedIn.access, nil).status == .unauthorized)
            #expect(try await door.call(.post, "/api/v1/auth/refresh", nil, ["refresh_token": .string(signedIn.refresh)]).status == .unauthorized)
            #expect(try await Self.signIn(door, Organisation.Emails.maria).status == .unauthorized)
        }
    }
}
