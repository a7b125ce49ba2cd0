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

/// The portal API's request routes, once on PostgreSQL (`PortalStore`) and once on the in-memory twins
/// (`MemorySessionStore` and `MemoryRequestRepository`), with the same assertions: the twin that route tests use
/// without a database must decide as the real store does, by the same core rules. The memory run opens no
/// database connection.
@Suite("Requests: one contract, two stores")
struct RequestContractTests {
    typealias Emails = Organisation.Emails

    /// The doors a contract run needs: the API as a signed-in person, and what the store recorded.
    struct Door: Sendable {
        let call: @Sendable (HTTPRequest.Method, String, String?, JSONValue?) async throws -> APIResponse
        /// Signs in with the portal password; the access token.
        let signIn: @Sendable (String) async throws -> String
        let requestsRecorded: @Sendable () async throws -> Int
        /// The actions of the audit log's request rows, in order.
        let requestAudit: @Sendable () async throws -> [String]
        /// Sets the approvals the pod's requests of a risk class need, as `querygate pods set` would.
        let setApprovals: @Sendable (String, RiskAssessment.Level, Int) async throws -> Void
    }

    typealias Store = ContractStore

    static func withDoor(_ store: Store, _ body: @escaping @Sendable (Door) async throws -> Void) async throws {
        switch store {
        case .postgres:
            try await AppHarness.run { app in
                try await body(Door(
                    call: { method, path, token, json in try await app.api(method, path, token: token, json: json) },
                    signIn: { email in try await app.signIn(email).access },
                    requestsRecorded: { try await Rows.count("query_requests", in: app.database) },
                    requestAudit: {
                        try await Rows.strings("SELECT action FROM audit_logs WHERE action LIKE 'request.%' ORDER BY id", in: app.database)
                    },
                    setApprovals: { pod, level, count in
                        _ = try await app.store.setApprovals(of: PodName(pod), [level: count], by: .system)
                    }))
            }
        case .memory:
            try await withMemoryAPI(body)
        }
    }

    /// The API's routes on the twins (`MemoryAPI`), seeded with the `Organisation`.
    static func withMemoryAPI(_ body: @escaping @Sendable (Door) async throws -> Void) async throws {
        let sessions = MemorySessionStore()
        let requests = MemoryRequestRepository()
        let hasher = try await PasswordHasher(threadPool: .singleton, cost: 4)
        try await Organisation.seed(requests, sessions: sessions, passwordHash: try await hasher.hash(AppHarness.password))
        try await MemoryAPI.run(sessions: sessions, requests: requests, hasher: hasher) { call in
            try await body(Door(
                call: call,
                signIn: { email in
                    let response = try await call(.post, "/api/v1/auth/login", nil, ["email": .string(email), "password": .string(AppHarness.password)])
                    return try #require(response.json?["access_token"]?.stringValue)
                },
                requestsRecorded: { await requests.requestCount },
                requestAudit: { await requests.audit.map(\.action.rawValue).filter { $0.hasPrefix("request.") } },
                setApprovals: { pod, level, count in
                    var quorum = ApprovalQuorum.single
                    try quorum.set(count, for: level)
                    await requests.setApprovals(of: pod, quorum)
                }))
        }
    }

    /// Submits through the API as the holder of `token`; the new request's id.
    static func submit(_ door: Door, as token: String, query: String = "SELECT count(*) FROM customers", type: String = "query") async throws -> Int {
        let response = try await door.call(.post, "/api/v1/requests", token, [
            "target": .string(Organisation.target), "type": .string(type), "query": .string(query), "reason": "Ticket 4711",
        ])
        #expect(response.status == .created)
        return try #require(response.json?["id"]?.intValue)
    }

    /// The ids a list shows the holder of `token`, in its order.
    static func listed(_ door: Door, _ query: String = "", as token: String) async throws -> [Int] {
        let response = try await door.call(.get, "/api/v1/requests" + query, token, nil)
        #expect(response.status == .ok)
        return response.json?["requests"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
    }

    @Test("A developer submits: 201, the view, the same view on reading it back, one audit row", arguments: Store.allCases)
    func submission(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let dev = try await door.signIn(Emails.dev)
            let response = try await door.call(.post, "/api/v1/requests", dev, [
                "target": "pg-main/customer_db", "query": "SELECT count(*) FROM customers", "reason": "  Ticket 4711  ",
            ])
            #expect(response.status == .created)
            let id = try #require(response.json?["id"]?.intValue)
            #expect(response.headers[.location] == "/api/v1/requests/\(id)")
            #expect(response.json?["status"]?.stringValue == "pending")
            #expect(response.json?["type"]?.stringValue == "query")
            #expect(response.json?["target"]?.stringValue == "pg-main/customer_db")
            #expect(response.json?["database_type"]?.stringValue == "postgresql")
            #expect(response.json?["pod"]?.stringValue == "payments")
            #expect(response.json?["reason"]?.stringValue == "Ticket 4711")
            #expect(response.json?["requester"]?["email"]?.stringValue == Emails.dev)
            #expect(response.json?["requester"]?["name"]?.stringValue == "Dev")
            #expect(response.json?["approvals_required"]?.intValue == 1)
            #expect(response.json?["approvals"]?.arrayValue?.isEmpty == true)
            #expect(response.json?["risk"]?["level"]?.stringValue == "read-only")
            #expect(response.json?["approver"] == nil)
            #expect(response.json?["decided_at"] == nil)

            let read = try await door.call(.get, "/api/v1/requests/\(id)", dev, nil)
            #expect(read.status == .ok)
            #expect(read.json == response.json)
            #expect(try await door.requestsRecorded() == 1)
            #expect(try await door.requestAudit() == ["request.submitted"])
        }
    }

    @Test("A bad submission is a 400 naming the field, and nothing is recorded", arguments: Store.allCases)
    func badSubmissions(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let dev = try await door.signIn(Emails.dev)
            let cases: [(JSONValue, String, String)] = [
                (["target": "pg-main/no_such_db", "query": "SELECT 1", "reason": "r"], "target",
                 "there is no database pg-main/no_such_db: pick one from the list in `/query`"),
                (["target": "pg-main/customer_db", "query": "SELECT 1; SELECT 2", "reason": "r"], "query",
                 "this is 2 statements, and a query is one: send it as a script (`/query script …`, or Kind: Script in the form) to run them together in one transaction"),
                (["target": "pg-main/customer_db", "query": "-- nothing", "reason": "r"], "query", "the query has no statement, only comments"),
                (["target": "pg-main/customer_db", "query": "SELECT 1", "reason": " "], "reason",
                 "say why you need this: approvers decide on the reason"),
            ]
            for (body, field, message) in cases {
                let response = try await door.call(.post, "/api/v1/requests", dev, body)
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "invalid_input")
                #expect(response.json?["error"]?["field"]?.stringValue == field)
                #expect(response.json?["error"]?["message"]?.stringValue == message)
            }
            #expect(try await door.requestsRecorded() == 0)
            #expect(try await door.requestAudit() == [])
            #expect(try await Self.listed(door, as: dev) == [])
        }
    }

    @Test("Nobody approves their own request; the pod's manager does; a second approval and a late rejection are conflicts",
          arguments: Store.allCases)
    func approval(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let dev = try await door.signIn(Emails.dev)
            let devi = try await door.signIn(Emails.devi)
            let maria = try await door.signIn(Emails.maria)
            let ada = try await door.signIn(Emails.ada)
            let id = try await Self.submit(door, as: dev)

            let own = try await door.call(.post, "/api/v1/requests/\(id)/approve", dev, nil)
            #expect(own.status == .forbidden)
            #expect(own.errorCode == "forbidden")
            #expect(own.json?["error"]?["message"]?.stringValue == ApprovalPolicy.Refusal.ownRequest.explanation)
            // Devi may not see Dev's request at all: to her it is not there.
            #expect(try await door.call(.post, "/api/v1/requests/\(id)/approve", devi, nil).status == .notFound)

            let approved = try await door.call(.post, "/api/v1/requests/\(id)/approve", maria, nil)
            #expect(approved.status == .ok)
            #expect(approved.json?["status"]?.stringValue == "approved")
            #expect(approved.json?["approver"]?["email"]?.stringValue == Emails.maria)
            #expect(approved.json?["approvals"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Maria"])
            #expect(approved.json?["decided_at"]?.stringValue != nil)

            let again = try await door.call(.post, "/api/v1/requests/\(id)/approve", ada, nil)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "conflict")
            #expect(again.json?["error"]?["message"]?.stringValue == "request #\(id) is already approved")
            let late = try await door.call(.post, "/api/v1/requests/\(id)/reject", maria, ["reason": "too late"])
            #expect(late.status == .conflict)
            #expect(late.json?["error"]?["message"]?.stringValue == "request #\(id) is already approved")

            #expect(try await door.call(.get, "/api/v1/requests/\(id)", dev, nil).json?["status"]?.stringValue == "approved")
            #expect(try await door.requestAudit() == [
                "request.submitted", "request.approval_refused", "request.approval_refused", "request.approved",
                "request.decision_lost", "request.decision_lost",
            ])
        }
    }

    @Test("A request that needs two approvals waits for a second person; the first cannot count twice", arguments: Store.allCases)
    func quorum(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            try await door.setApprovals("payments", .dangerous, 2)
            let dev = try await door.signIn(Emails.dev)
            let maria = try await door.signIn(Emails.maria)
            let ada = try await door.signIn(Emails.ada)
            let risky = try await Self.submit(door, as: dev, query: "DELETE FROM orders")
            let plain = try await Self.submit(door, as: dev)
            #expect(try await door.call(.get, "/api/v1/requests/\(plain)", dev, nil).json?["approvals_required"]?.intValue == 1)

            let first = try await door.call(.post, "/api/v1/requests/\(risky)/approve", maria, nil)
            #expect(first.status == .ok)
            #expect(first.json?["status"]?.stringValue == "pending")
            #expect(first.json?["approvals_required"]?.intValue == 2)
            #expect(first.json?["approvals"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Maria"])
            let twice = try await door.call(.post, "/api/v1/requests/\(risky)/approve", maria, nil)
            #expect(twice.status == .forbidden)
            #expect(twice.json?["error"]?["message"]?.stringValue
                == "you have already approved this request; it needs 1 more approval from someone else")

            let second = try await door.call(.post, "/api/v1/requests/\(risky)/approve", ada, nil)
            #expect(second.status == .ok)
            #expect(second.json?["status"]?.stringValue == "approved")
            #expect(second.json?["approver"]?["name"]?.stringValue == "Ada")
            #expect(second.json?["approvals"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Maria", "Ada"])
            #expect(try await door.requestAudit() == [
                "request.submitted", "request.submitted", "request.approval_recorded", "request.approval_refused", "request.approved",
            ])
        }
    }

    @Test("The requester cancels a pending request, nobody else does; a rejection says why", arguments: Store.allCases)
    func cancellationAndRejection(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let dev = try await door.signIn(Emails.dev)
            let maria = try await door.signIn(Emails.maria)
            let cancelled = try await Self.submit(door, as: dev)
            let rejected = try await Self.submit(door, as: dev)

            let notTheirs = try await door.call(.post, "/api/v1/requests/\(cancelled)/cancel", maria, nil)
            #expect(notTheirs.status == .forbidden)
            #expect(notTheirs.json?["error"]?["message"]?.stringValue == "only the person who made a request can cancel it")
            let cancel = try await door.call(.post, "/api/v1/requests/\(cancelled)/cancel", dev, nil)
            #expect(cancel.status == .ok)
            #expect(cancel.json?["status"]?.stringValue == "cancelled")
            #expect(cancel.json?["decided_at"]?.stringValue != nil)
            let again = try await door.call(.post, "/api/v1/requests/\(cancelled)/cancel", dev, nil)
            #expect(again.status == .conflict)
            #expect(again.json?["error"]?["message"]?.stringValue == "request #\(cancelled) is already cancelled")
            #expect(try await door.call(.post, "/api/v1/requests/\(cancelled)/approve", maria, nil).status == .conflict)

            let noReason = try await door.call(.post, "/api/v1/requests/\(rejected)/reject", maria, ["reason": "   "])
            #expect(noReason.status == .badRequest)
            #expect(noReason.json?["error"]?["field"]?.stringValue == "reason")
            let reject = try await door.call(.post, "/api/v1/requests/\(rejected)/reject", maria, ["reason": " use the replica "])
            #expect(reject.status == .ok)
            #expect(reject.json?["status"]?.stringValue == "rejected")
            #expect(reject.json?["rejecter"]?["email"]?.stringValue == Emails.maria)
            #expect(reject.json?["rejection_reason"]?.stringValue == "use the replica")
            #expect(reject.json?["approver"] == nil)

            #expect(try await door.requestAudit() == [
                "request.submitted", "request.submitted", "request.cancellation_refused", "request.cancelled", "request.decision_lost",
                "request.decision_lost", "request.rejected",
            ])
        }
    }

    @Test("A request of another pod is not there for an outsider, whatever they try; the attempts are audited", arguments: Store.allCases)
    func invisibleToOutsiders(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let dev = try await door.signIn(Emails.dev)
            let sam = try await door.signIn(Emails.sam)
            let ada = try await door.signIn(Emails.ada)
            let id = try await Self.submit(door, as: dev)

            let tries: [(HTTPRequest.Method, String, JSONValue?)] = [
                (.get, "", nil), (.post, "/approve", nil), (.post, "/reject", ["reason": "no"]), (.post, "/cancel", nil),
            ]
            for (method, suffix, body) in tries {
                let response = try await door.call(method, "/api/v1/requests/\(id)\(suffix)", sam, body)
                #expect(response.status == .notFound, "\(method) \(suffix)")
                #expect(response.errorCode == "not_found")
            }
            // The same answer as an id nobody has used.
            #expect(try await door.call(.get, "/api/v1/requests/\(id + 1000)", ada, nil).errorCode == "not_found")
            #expect(try await door.call(.post, "/api/v1/requests/\(id + 1000)/approve", ada, nil).errorCode == "not_found")

            let seen = try await door.call(.get, "/api/v1/requests/\(id)", ada, nil)
            #expect(seen.status == .ok)
            #expect(seen.json?["status"]?.stringValue == "pending")
            #expect(try await door.requestAudit() == [
                "request.submitted", "request.approval_refused", "request.rejection_refused", "request.cancellation_refused",
                "request.approval_refused",
            ])
        }
    }

    @Test("The list shows each caller what they may see, newest first, filtered and in pages", arguments: Store.allCases)
    func lists(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let dev = try await door.signIn(Emails.dev)
            let devi = try await door.signIn(Emails.devi)
            let maria = try await door.signIn(Emails.maria)
            let sam = try await door.signIn(Emails.sam)
            let ada = try await door.signIn(Emails.ada)
            let first = try await Self.submit(door, as: dev)
            let second = try await Self.submit(door, as: dev, query: "UPDATE orders SET note = 'x' WHERE id = 1")
            let devis = try await Self.submit(door, as: devi)
            #expect(try await door.call(.post, "/api/v1/requests/\(first)/cancel", dev, nil).status == .ok)

            #expect(try await Self.listed(door, as: dev) == [second, first])
            #expect(try await Self.listed(door, as: devi) == [devis])
            #expect(try await Self.listed(door, as: maria) == [devis, second, first])
            #expect(try await Self.listed(door, as: sam) == [])
            #expect(try await Self.listed(door, as: ada) == [devis, second, first])

            #expect(try await Self.listed(door, "?submitter=devi@example.com", as: maria) == [devis])
            #expect(try await Self.listed(door, "?status=cancelled", as: maria) == [first])
            #expect(try await Self.listed(door, "?status=pending&pod=payments", as: ada) == [devis, second])
            #expect(try await Self.listed(door, "?database=customer_db", as: dev) == [second, first])
            #expect(try await Self.listed(door, "?database=pg-main/other_db", as: ada) == [])
            #expect(try await Self.listed(door, "?pod=search", as: ada) == [])

            let page = try await door.call(.get, "/api/v1/requests?limit=2", ada, nil)
            #expect(page.json?["requests"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [devis, second])
            let cursor = try #require(page.json?["next_cursor"]?.stringValue)
            #expect(cursor == String(second))
            let last = try await door.call(.get, "/api/v1/requests?limit=2&cursor=\(cursor)", ada, nil)
            #expect(last.json?["requests"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [first])
            #expect(last.json?["next_cursor"]?.stringValue == nil)
        }
    }
}
