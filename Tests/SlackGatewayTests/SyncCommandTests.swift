import Foundation
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// `/query sync` in Slack: admins queue a sync and are told, ephemerally where they typed, how it ended.
@Suite("/query sync")
struct SyncCommandTests {
    typealias People = AppHarness.People

    @Test func anAdminQueuesASyncAndIsToldHowItEnded() async throws {
        try await AppHarness.run { slack in
            let (response, json) = try await slack.command("sync pg-main", as: People.ada)
            #expect(response.status == .ok && json?["response_type"]?.stringValue == "ephemeral")
            #expect(json?["text"]?.stringValue == "Syncing `pg-main`: I'll tell you here how it went.")
            #expect(await slack.fake.recorder.calls.isEmpty, "the command path made a Web API call")

            let again = try await slack.reply("sync pg-main", as: People.ada)
            #expect(again.hasPrefix("Not queued for `pg-main`: a sync of pg-main asked for by ada@example.com (slack) at "), "\(again)")
            #expect(again.contains("is waiting to run"))

            // What the sync worker of `serve` does, with a listing that finds nothing new.
            let claim = try #require(try await slack.store.claimQueuedSync(worker: "test-worker", lease: .seconds(60)))
            #expect(claim.trigger == .slack)
            _ = try await slack.store.run(claim) { _ in ["customer_db"] }
            try await slack.deliverOutbox()
            let told = await slack.fake.recorder.successful("chat.postEphemeral").map(\.arguments)
            #expect(told.count == 1)
            #expect(told.first?["user"]?.stringValue == People.ada && told.first?["channel"]?.stringValue == "C0DEV00001")
            #expect(told.first?["text"]?.stringValue == "Synced pg-main: 1 database found, 0 added, 0 reactivated, 0 marked missing.",
                    "\(String(describing: told.first))")
        }
    }

    @Test func onlyAdminsSyncAndBadNamesAreRefusedWithNothingQueued() async throws {
        try await AppHarness.run { slack in
            #expect(try await slack.reply("sync pg-main", as: People.maria) == Replies.syncAdminsOnly)
            #expect(try await slack.reply("sync", as: People.dev) == Replies.syncAdminsOnly)
            #expect(try await slack.reply("sync nope", as: People.ada) == "there is no instance named 'nope' (see `querygate instances list`)")
            let twoWords = try await slack.reply("sync pg-main other", as: People.ada)
            #expect(twoWords.hasPrefix("`/query sync` takes one instance name at most"), "\(twoWords)")
            #expect(try await Rows.count("database_sync_history", in: slack.database) == 0)
        }
    }

    @Test func syncWithoutANameQueuesEveryActiveInstance() async throws {
        try await AppHarness.run { (slack: AppHarness) async throws in
            #expect(try await slack.reply("sync", as: People.ada) == "Syncing `pg-main`: I'll tell you here how it went.")
            #expect(try await Rows.count("database_sync_history WHERE status = 'queued'", in: slack.database) == 1)
        }
    }
}
