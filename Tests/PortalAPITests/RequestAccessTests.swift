import Foundation
import Hummingbird
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Who may do what through the API: the same rules as in Slack, on every endpoint, for every kind of person.
@Suite struct RequestAccessTests {
    typealias Emails = Organisation.Emails

    /// The people of the matrix: the requester, a developer of the same pod, the pod's manager, another pod's
    /// manager, an admin, and a manager deactivated after signing in.
    enum Person: String, CaseIterable {
        case requester, podDeveloper, podManager, otherManager, admin, deactivated
    }

    enum Endpoint: String, CaseIterable, CustomTestStringConvertible {
        case getRequest, approve, reject, cancel, listRequests, submit, me, instances, databases, audit, syncInstance, syncHistory, blacklist
        var testDescription: String { rawValue }

        /// The status each person gets. 404 where the request is not theirs to see: its existence is not revealed.
        var expected: [Person: HTTPResponse.Status] {
            switch self {
            case .getRequest:
                [.requester: .ok, .podDeveloper: .notFound, .podManager: .ok, .otherManager: .notFound, .admin: .ok, .deactivated: .unauthorized]
            case .approve, .reject:
                [.requester: .forbidden, .podDeveloper: .notFound, .podManager: .ok, .otherManager: .notFound, .admin: .ok,
                 .deactivated: .unauthorized]
            case .cancel:
                [.requester: .ok, .podDeveloper: .notFound, .podManager: .forbidden, .otherManager: .notFound, .admin: .forbidden,
                 .deactivated: .unauthorized]
            case .listRequests, .me, .instances, .databases:
                [.requester: .ok, .podDeveloper: .ok, .podManager: .ok, .otherManager: .ok, .admin: .ok, .deactivated: .unauthorized]
            case .submit:
                // The admin belongs to no pod, so nobody could approve their request.
                [.requester: .created, .podDeveloper: .created, .podManager: .created, .otherManager: .created, .admin: .badRequest,
                 .deactivated: .unauthorized]
            case .syncInstance:
                [.requester: .forbidden, .podDeveloper: .forbidden, .podManager: .forbidden, .otherManager: .forbidden, .admin: .accepted,
                 .deactivated: .unauthorized]
            case .audit, .syncHistory, .blacklist:
                [.requester: .forbidden, .podDeveloper: .forbidden, .podManager: .forbidden, .otherManager: .forbidden, .admin: .ok,
                 .deactivated: .unauthorized]
            }
        }

        func call(_ app: AppHarness, request id: Int, token: String) async throws -> APIResponse {
            switch self {
            case .getRequest: try await app.api(.get, "/api/v1/requests/\(id)", token: token)
            case .approve: try await app.api(.post, "/api/v1/requests/\(id)/approve", token: token)
            case .reject: try await app.api(.post, "/api/v1/requests/\(id)/reject", token: token, json: ["reason": "not now"])
            case .cancel: try await app.api(.post, "/api/v1/requests/\(id)/cancel", token: token)
            case .listRequests: try await app.api(.get, "/api/v1/requests", token: token)
            case .submit:
                try await app.api(.post, "/api/v1/requests", token: token,
                                  json: ["target": "pg-main/customer_db", "query": "SELECT 1", "reason": "matrix"])
            case .me: try await app.api(.get, "/api/v1/me", token: token)
            case .instances: try await app.api(.get, "/api/v1/instances", token: token)
            case .databases: try await app.api(.get, "/api/v1/databases", token: token)
            case .audit: try await app.api(.get, "/api/v1/audit", token: token)
            case .syncInstance: try await app.api(.post, "/api/v1/instances/pg-main/sync", token: token)
            case .syncHistory: try await app.api(.get, "/api/v1/instances/pg-main/syncs", token: token)
            case .blacklist: try await app.api(.get, "/api/v1/blacklist", token: token)
            }
        }
    }

    @Test(arguments: Endpoint.allCases)
    func roleMatrix(endpoint: Endpoint) async throws {
        try await AppHarness.run { app in
            let tokens = try await Self.signInEveryone(app)
            let requester = try #require(tokens[.requester])
            for person in Person.allCases {
                // A fresh pending request for each person, so that one decision does not change the next.
                let id = try await app.submitThroughAPI(as: requester)
                let response = try await endpoint.call(app, request: id, token: try #require(tokens[person]))
                #expect(response.status == endpoint.expected[person], "\(person) on \(endpoint): \(String(describing: response.json))")
                if response.status.code >= 400 {
                    #expect(response.errorCode != nil, "an error without a JSON code")
                }
                if endpoint == .listRequests, response.status == .ok {
                    let ids = response.json?["requests"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
                    #expect(ids.contains(id) == [.requester, .podManager, .admin].contains(person), "\(person) listing")
                }
                if [.approve, .reject, .cancel].contains(endpoint), response.status != .ok {
                    #expect(try await app.status(of: id) == .pending, "a refused \(endpoint) changed the request")
                }
            }
        }
    }

    @Test func idsThatCannotBeSeenLookLikeIdsThatDoNotExist() async throws {
        try await AppHarness.run { app in
            let tokens = try await Self.signInEveryone(app)
            let id = try await app.submitThroughAPI(as: try #require(tokens[.requester]))
            let outsider = try #require(tokens[.otherManager])
            for path in ["/api/v1/requests/\(id)", "/api/v1/requests/\(id)/approve", "/api/v1/requests/\(id)/cancel"] {
                let method: HTTPRequest.Method = path.hasSuffix("\(id)") ? .get : .post
                let hidden = try await app.api(method, path, token: outsider)
                let missing = try await app.api(method, path.replacingOccurrences(of: "/\(id)", with: "/987654"), token: outsider)
                #expect(hidden.status == .notFound)
                #expect(hidden.json == missing.json, "\(path) tells a hidden request from a missing one")
            }
            #expect(try await app.api(.get, "/api/v1/requests/abc", token: outsider).status == .notFound)
            #expect(try await app.status(of: id) == .pending)
        }
    }

    static func signInEveryone(_ app: AppHarness) async throws -> [Person: String] {
        // Olga is deactivated in the organisation: let her in, sign in, and deactivate her again.
        try await app.store.setUserActive(email: .init(Emails.olga), active: true, by: .system)
        let olga = try await app.signIn(Emails.olga)
        try await app.store.setUserActive(email: .init(Emails.olga), active: false, by: .system)
        return [
            .requester: try await app.signIn(Emails.dev).access, .podDeveloper: try await app.signIn(Emails.devi).access,
            .podManager: try await app.signIn(Emails.maria).access, .otherManager: try await app.signIn(Emails.sam).access,
            .admin: try await app.signIn(Emails.ada).access, .deactivated: olga.access,
        ]
    }
}
