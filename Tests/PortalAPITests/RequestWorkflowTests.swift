import Foundation
import Hummingbird
import NIOCore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Submitting, listing and deciding through the API: input checks, conflicts, filters and pages.
@Suite struct RequestWorkflowTests {
    typealias Emails = Organisation.Emails

    @Test func aSubmittedRequestIsRecordedAndShownWithItsRisk() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            let response = try await app.api(.post, "/api/v1/requests", token: dev.access, json: [
                "target": "pg-main/customer_db", "type": "script", "reason": "cleanup, ticket 12",
                "query": "UPDATE orders SET note = 'x' WHERE id = 1; DELETE FROM order_items",
            ])
            #expect(response.status == .created)
            let id = try #require(response.json?["id"]?.intValue)
            #expect(response.headers[.location] == "/api/v1/requests/\(id)")
            #expect(response.json?["status"]?.stringValue == "pending")
            #expect(response.json?["pod"]?.stringValue == "payments")
            #expect(response.json?["requester"]?["email"]?.stringValue == Emails.dev)
            #expect(response.json?["risk"]?["level"]?.stringValue == "dangerous")
            #expect(response.json?["risk"]?["warnings"]?.allText.contains("DELETE without WHERE") == true)
            let audit = try await app.store.recentAuditEntries(limit: 1).first
            #expect(audit?.action == "request.submitted")
            #expect(audit?.source == "api")
            #expect(try await Rows.strings("SELECT submitted_via FROM query_requests", in: app.database) == ["portal"])
        }
    }

    @Test(arguments: [
        (#"{"target": "pg-main/customer_db", "query": "SELECT 1"}"#, "reason"),
        (#"{"target": "pg-main/customer_db", "query": "SELECT 1", "reason": "  "}"#, "reason"),
        (#"{"target": "nowhere", "query": "SELECT 1", "reason": "r"}"#, "target"),
        (#"{"target": "pg-main/no_such_db", "query": "SELECT 1", "reason": "r"}"#, "target"),
        (#"{"target": "pg-main/customer_db", "query": "SELECT 1; SELECT 2", "reason": "r"}"#, "query"),
        (#"{"target": "pg-main/customer_db", "query": "", "reason": "r"}"#, "query"),
        (#"{"target": "pg-main/customer_db", "query": "SELECT 1", "reason": "r", "type": "batch"}"#, "type"),
        (#"{"target": 7, "query": "SELECT 1", "reason": "r"}"#, "target"),
    ])
    func badSubmissionsAreRefusedWithTheFieldAndLeaveNothingBehind(body: String, field: String) async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            let response = try await app.client.execute(
                uri: "/api/v1/requests", method: .post,
                headers: [.authorization: "Bearer \(dev.access)", .contentType: "application/json"], body: ByteBuffer(string: body))
            let json = JSONValue.decode(response.body.readableBytesView)
            #expect(response.status == .badRequest)
            #expect(json?["error"]?["code"]?.stringValue == "invalid_input")
            #expect(json?["error"]?["field"]?.stringValue == field)
            #expect(try await Rows.count("query_requests", in: app.database) == 0)
            #expect(try await Rows.count("slack_notifications", in: app.database) == 0)
        }
    }

    @Test func decidingAFinishedRequestIsAConflict() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            let maria = try await app.signIn(Emails.maria)
            let id = try await app.submitThroughAPI(as: dev.access)
            let approved = try await app.api(.post, "/api/v1/requests/\(id)/approve", token: maria.access)
            #expect(approved.status == .ok)
            #expect(approved.json?["status"]?.stringValue == "approved")
            #expect(approved.json?["approver"]?["name"]?.stringValue == "Maria")

            let again = try await app.api(.post, "/api/v1/requests/\(id)/approve", token: maria.access)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "conflict")
            #expect(again.json?["error"]?["message"]?.stringValue == "request #\(id) is already approved")
            #expect(try await app.api(.post, "/api/v1/requests/\(id)/reject", token: maria.access, json: ["reason": "late"]).status == .conflict)
            #expect(try await app.api(.post, "/api/v1/requests/\(id)/cancel", token: dev.access).status == .conflict)
            let decisions = try await Rows.strings("SELECT action FROM audit_logs WHERE action LIKE 'request.%' ORDER BY id", in: app.database)
            // Every attempt is audited: the late ones as lost decisions, with the state they found.
            #expect(decisions == ["request.submitted", "request.approved", "request.decision_lost", "request.decision_lost", "request.decision_lost"])
            let found = try await Rows.strings(
                "SELECT details->>'decision' || ' found ' || (details->>'status') FROM audit_logs WHERE action = 'request.decision_lost' ORDER BY id",
                in: app.database)
            #expect(found == ["approved found approved", "rejected found approved", "cancelled found approved"])
        }
    }

    @Test func aRequestThatNeedsTwoApprovalsSaysSoAndTheSamePersonCannotCountTwice() async throws {
        try await AppHarness.run { app in
            try await app.store.setApprovals(of: PodName("payments"), [.readOnly: 2], by: .system)
            let dev = try await app.signIn(Emails.dev)
            let maria = try await app.signIn(Emails.maria)
            let ada = try await app.signIn(Emails.ada)
            let id = try await app.submitThroughAPI(as: dev.access)
            let first = try await app.api(.post, "/api/v1/requests/\(id)/approve", token: maria.access)
            #expect(first.status == .ok)
            #expect(first.json?["status"]?.stringValue == "pending")
            #expect(first.json?["approvals_required"]?.intValue == 2)
            #expect(first.json?["approvals"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Maria"])

            let twice = try await app.api(.post, "/api/v1/requests/\(id)/approve", token: maria.access)
            #expect(twice.status == .forbidden)
            #expect(twice.json?["error"]?["message"]?.stringValue?.contains("you have already approved this request") == true)

            let last = try await app.api(.post, "/api/v1/requests/\(id)/approve", token: ada.access)
            #expect(last.json?["status"]?.stringValue == "approved")
            #expect(last.json?["approver"]?["name"]?.stringValue == "Ada")
            #expect(last.json?["approvals"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Maria", "Ada"])
            let actions = try await Rows.strings("SELECT action FROM audit_logs WHERE action LIKE 'request.%' ORDER BY id", in: app.database)
            #expect(actions == ["request.submitted", "request.approval_recorded", "request.approval_refused", "request.approved"])
        }
    }

    @Test func aRejectionNeedsAReason() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            let maria = try await app.signIn(Emails.maria)
            let id = try await app.submitThroughAPI(as: dev.access)
            let empty = try await app.api(.post, "/api/v1/requests/\(id)/reject", token: maria.access, json: ["reason": " "])
            #expect(empty.status == .badRequest)
            #expect(empty.json?["error"]?["field"]?.stringValue == "reason")
            let rejected = try await app.api(.post, "/api/v1/requests/\(id)/reject", token: maria.access, json: ["reason": "use the replica"])
            #expect(rejected.json?["status"]?.stringValue == "rejected")
            #expect(rejected.json?["rejection_reason"]?.stringValue == "use the replica")
        }
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            let huge = String(repeating: "x", count: 300 * 1024)
            let response = try await app.api(.post, "/api/v1/requests", token: dev.access,
                                             json: ["target": "pg-main/customer_db", "query": .string(huge), "reason": "big"])
            #expect(response.status == .contentTooLarge)
            #expect(response.errorCode == "payload_too_large")
            #expect(try await Rows.count("query_requests", in: app.database) == 0)
        }
    }

    @Test func pagesAreBoundedAndWalkTheListNewestFirst() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            var submitted: [Int] = []
            for number in 1...7 { submitted.append(try await app.submitThroughAPI(reason: "ticket \(number)", as: dev.access)) }

            var seen: [Int] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await app.api(.get, "/api/v1/requests?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""), token: dev.access)
                #expect(page.status == .ok)
                let ids = page.json?["requests"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
                #expect(ids.count <= 3)
                seen += ids
                cursor = page.json?["next_cursor"]?.stringValue
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == submitted.reversed())

            for bad in ["limit=0", "limit=101", "limit=-5", "limit=ten", "cursor=0", "cursor=x"] {
                let response = try await app.api(.get, "/api/v1/requests?\(bad)", token: dev.access)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.json?["error"]?["field"]?.stringValue == String(bad.prefix { $0 != "=" }))
            }
            let all = try await app.api(.get, "/api/v1/requests?limit=100", token: dev.access)
            #expect(all.json?["requests"]?.arrayValue?.count == 7)
            #expect(all.json?["next_cursor"] == nil)
        }
    }

    @Test func filtersNarrowTheList() async throws {
        try await AppHarness.run { app in
            let dev = try await app.signIn(Emails.dev)
            let maria = try await app.signIn(Emails.maria)
            let ada = try await app.signIn(Emails.ada)
            let first = try await app.submitThroughAPI(as: dev.access)
            let second = try await app.submitThroughAPI(as: dev.access)
            let marias = try await app.submitThroughAPI(as: maria.access)
            _ = try await app.api(.post, "/api/v1/requests/\(first)/approve", token: maria.access)

            func ids(_ query: String) async throws -> [Int] {
                let response = try await app.api(.get, "/api/v1/requests?\(query)", token: ada.access)
                #expect(response.status == .ok, "\(query): \(String(describing: response.json))")
                return response.json?["requests"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            }
            #expect(try await ids("status=approved") == [first])
            #expect(try await ids("status=pending") == [marias, second])
            #expect(try await ids("submitter=maria@example.com") == [marias])
            #expect(try await ids("pod=payments").count == 3)
            #expect(try await ids("pod=search").isEmpty)
            #expect(try await ids("database=pg-main/customer_db").count == 3)
            #expect(try await ids("database=customer_db").count == 3)
            #expect(try await ids("database=pg-main/other_db").isEmpty)
            #expect(try await ids("from=2999-01-01").isEmpty)
            #expect(try await ids("to=2999-01-01T00:00:00Z").count == 3)
            #expect(try await ids("status=pending&submitter=dev@example.com") == [second])

            for (query, field) in [("status=done", "status"), ("from=yesterday", "from"), ("pod=Pay%20ments", "pod"), ("colour=red", "colour")] {
                let response = try await app.api(.get, "/api/v1/requests?\(query)", token: ada.access)
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.json?["error"]?["field"]?.stringValue == field)
            }
        }
    }

    @Test func theDatabaseListIsThePickersAndTheAuditLogPages() async throws {
        try await AppHarness.run { app in
            let ada = try await app.signIn(Emails.ada)
            let databases = try await app.api(.get, "/api/v1/databases?search=customer", token: ada.access)
            #expect(databases.json?["databases"]?.arrayValue?.compactMap { $0["target"]?.stringValue } == ["pg-main/customer_db"])
            let none = try await app.api(.get, "/api/v1/databases?search=zzz", token: ada.access)
            #expect(none.json?["databases"]?.arrayValue?.isEmpty == true)
            let instances = try await app.api(.get, "/api/v1/instances", token: ada.access)
            #expect(instances.json?["instances"]?.arrayValue?.first?["name"]?.stringValue == "pg-main")
            #expect(instances.json?.allText.contains("PG_INSTANCE_1") == false, "credential variable names leak")

            let first = try await app.api(.get, "/api/v1/audit?limit=2", token: ada.access)
            let entries = try #require(first.json?["entries"]?.arrayValue)
            #expect(entries.count == 2)
            #expect(entries.first?["action"]?.stringValue == "auth.login")
            let cursor = try #require(first.json?["next_cursor"]?.stringValue)
            let second = try await app.api(.get, "/api/v1/audit?limit=2&cursor=\(cursor)", token: ada.access)
            let older = second.json?["entries"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            let newer = entries.compactMap { $0["id"]?.intValue }
            #expect(older.count == 2)
            #expect(older.allSatisfy { $0 < newer.min() ?? 0 })
        }
    }
}
