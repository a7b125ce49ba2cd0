import Foundation
import PortalStore
import QueryGateTestSupport
import Testing

/// The portal database goes away while people use QueryGate: every answer comes within Slack's 3 seconds, says
/// that nothing was recorded, and nothing is recorded when the database comes back.
@Suite("A portal-database outage")
struct PortalOutageTests {
    static let submission = "pg-main/customer_db outage ticket ```SELECT 1```"

    @Test(.timeLimit(.minutes(2)))
    func slashCommandsClicksAndAPICallsAnswerInTimeAndRecordNothingLater() async throws {
        try await FaultHarness.run { harness in
            // Before the outage: a request to click on later, and a portal session.
            let before = try await harness.command(Self.submission)
            #expect(before.text.contains("is waiting"), "\(before.text)")
            let login = try await harness.api(.post, "/api/v1/auth/login", json: ["email": .string(Organisation.Emails.dev), "password": .string(AppHarness.password)])
            let token = try #require(login.json?["access_token"]?.stringValue)
            let recordedBefore = try await harness.counts()

            try await harness.cluster.stop()
            for attempt in 1...3 {
                let answer = try await harness.command(Self.submission)
                #expect(answer.status == .ok)
                #expect(answer.took < .seconds(3), "attempt \(attempt) took \(answer.took)")
                #expect(answer.text.contains("nothing was recorded"), "\(answer.text)")
                print("fault timing: slash command \(attempt) during the outage answered in \(answer.took)")
            }
            let click = try await harness.approve(1)
            #expect(click.status == .serviceUnavailable)
            #expect(click.took < .seconds(3), "the click took \(click.took)")
            print("fault timing: Approve click during the outage answered in \(click.took)")
            let submitted = try await harness.api(.post, "/api/v1/requests", token: token, json: [
                "target": "pg-main/customer_db", "query": "SELECT 2", "reason": "outage ticket",
            ])
            #expect(submitted.status == .serviceUnavailable)
            #expect(submitted.json?["error"]?["code"]?.stringValue == "database_unavailable")
            #expect(submitted.took < .seconds(7), "the API call took \(submitted.took)")
            print("fault timing: API submission during the outage answered in \(submitted.took)")

            // Back: nothing of the refused work appears, now or a little later, and QueryGate works again.
            try await harness.cluster.start()
            try await harness.waitUntilReachable()
            try await Task.sleep(for: .seconds(3))
            let recordedAfter = try await harness.counts()
            #expect(recordedAfter.requests == recordedBefore.requests)
            #expect(recordedAfter.notifications == recordedBefore.notifications)
            #expect(try await harness.cluster.store.requestDetails(id: 1)?.status == .pending)
            let again = try await harness.command(Self.submission)
            #expect(again.text.contains("is waiting"), "\(again.text)")
        }
    }
}
