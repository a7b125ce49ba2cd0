import Foundation
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Slack and the portal are two doors to one workflow: a request entered at one can be decided at the other, and
/// what Slack shows and the audit log records is the same as when only Slack is used.
@Suite struct CrossDoorTests {
    typealias People = AppHarness.People
    typealias Emails = Organisation.Emails

    enum Door: String, CaseIterable { case slack, api }

    /// What one submit-then-approve flow left behind: every Slack Web API call, and the request's audit trail.
    struct Trace: Equatable {
        let slackCalls: [String]
        let auditActions: [String]
        let auditSources: [String]
        let finalStatus: RequestStatus?
    }

    static func flow(submitAt submitDoor: Door, approveAt approveDoor: Door) async throws -> Trace {
        let trace = TraceBox()
        try await AppHarness.run { app in
            let id: Int
            switch submitDoor {
            case .slack: id = try await app.submit(as: People.dev)
            case .api: id = try await app.submitThroughAPI(as: try await app.signIn(Emails.dev).access)
            }
            try await app.deliverOutbox()
            switch approveDoor {
            case .slack: #expect(try await app.click("request.approve", request: id, as: People.maria).status == .ok)
            case .api:
                let maria = try await app.signIn(Emails.maria)
                #expect(try await app.api(.post, "/api/v1/requests/\(id)/approve", token: maria.access).status == .ok)
            }
            try await app.deliverOutbox()
            // The moment of the decision differs between runs; everything else must not.
            let calls = await app.fake.recorder.calls.map {
                "\($0.method) \(String(decoding: $0.arguments.encoded(), as: UTF8.self))".replacing(/<!date\^\d+\^[^|]*\|[^>]*>/, with: "<!date>")
            }
            let audit = try await Rows.strings(
                "SELECT action || ' ' || source FROM audit_logs WHERE entity_type = 'query_request' AND entity_id = '\(id)' ORDER BY id",
                in: app.database)
            trace.value = Trace(
                slackCalls: calls, auditActions: audit.map { String($0.split(separator: " ")[0]) },
                auditSources: audit.map { String($0.split(separator: " ")[1]) }, finalStatus: try await app.status(of: id))
        }
        return try #require(trace.value)
    }

    @Test(arguments: [(Door.api, Door.slack), (Door.slack, Door.api), (Door.api, Door.api)])
    func eitherDoorGivesTheSameMessagesAndAuditTrail(submitAt: Door, approveAt: Door) async throws {
        let slackOnly = try await Self.flow(submitAt: .slack, approveAt: .slack)
        let mixed = try await Self.flow(submitAt: submitAt, approveAt: approveAt)

        #expect(slackOnly.finalStatus == .approved)
        #expect(mixed.finalStatus == .approved)
        #expect(slackOnly.slackCalls.map { String($0.prefix { $0 != " " }) }
                == ["chat.postMessage", "chat.update", "conversations.open", "chat.getPermalink", "chat.postMessage"])
        #expect(mixed.slackCalls == slackOnly.slackCalls)
        #expect(mixed.auditActions == slackOnly.auditActions)
        #expect(mixed.auditActions == ["request.submitted", "request.approved"])
        // The audit log still says which door each action came through.
        #expect(mixed.auditSources == [submitAt.rawValue, approveAt.rawValue])
    }

    @Test func aRejectionInThePortalUpdatesTheSlackMessage() async throws {
        try await AppHarness.run { app in
            let id = try await app.submit(as: People.dev)
            try await app.deliverOutbox()
            let maria = try await app.signIn(Emails.maria)
            let rejected = try await app.api(.post, "/api/v1/requests/\(id)/reject", token: maria.access, json: ["reason": "use the replica"])
            #expect(rejected.status == .ok)
            try await app.deliverOutbox()
            let update = try #require(await app.fake.recorder.successful("chat.update").first?.arguments)
            #expect(update["channel"]?.stringValue == "C0PAYMENTS")
            let words = update["blocks"]?.allText ?? ""
            #expect(words.contains("*Rejected* by <@\(People.maria)>"))
            #expect(words.contains("use the replica"))
            #expect(!words.contains("request.approve"))
        }
    }
}

/// Carries a value out of the harness's `@Sendable` closure.
final class TraceBox: @unchecked Sendable {
    var value: CrossDoorTests.Trace?
}
