import Foundation
import PortalStore
import QueryGateCore
import QueryGateServer
import QueryGateTestSupport
import Testing

/// A sync's history row is its claim on the instance: one unfinished row per instance, a lease that a dead process
/// cannot hold forever, and a queue for the syncs asked for through the API and Slack.
@Suite("Sync claims and the sync queue")
struct SyncClaimTests {
    static let tester = AuditActor.cli(osUser: "tester")

    @Test func aClaimWhoseProcessDiedIsClosedAsInterruptedAndTheInstanceSyncsAgain() async throws {
        try await DatabaseSyncTests.withFixture { fixture in
            try await fixture.create("orders")
            let store = fixture.database.store
            // A process claims the instance and dies before it finishes.
            guard case .claimed(let abandoned) = try await store.beginSync(
                of: fixture.instance, trigger: .schedule, by: .system, worker: "dead-replica", lease: .seconds(60))
            else { Issue.record("no claim"); return }
            let whileHeld = try await DatabaseSyncTests.sync(fixture)
            guard case .alreadyRunning(let running) = whileHeld else { Issue.record("\(whileHeld)"); return }
            #expect(running.id == abandoned.runID && running.status == "running")

            // Its lease runs out (moved into the past rather than waited for, so that a busy machine changes nothing).
            try await fixture.database.client.query(
                "UPDATE database_sync_history SET lease_expires_at = now() - interval '1 second' WHERE id = \(abandoned.runID)")
            #expect(DatabaseSyncTests.changes(try await DatabaseSyncTests.sync(fixture)) == [1, 1, 0, 0])
            let history = try await store.syncHistory(instance: fixture.instance)
            #expect(history.map(\.status) == ["succeeded", "failed"])
            #expect(history.last?.errorMessage?.hasPrefix("interrupted: the QueryGate process running it (dead-replica) stopped") == true)

            // The dead process coming back to life late changes nothing.
            let late = try await store.finishSync(abandoned, listed: .success([]))
            guard case .failed(let message) = late else { Issue.record("\(late)"); return }
            #expect(message.contains("claim lapsed"))
            #expect(try await fixture.rows() == ["\(fixture.prefix)_orders synced active"])
            #expect(try await store.syncHistory(instance: fixture.instance).map(\.status) == ["succeeded", "failed"])
        }
    }

    @Test func aQueuedSyncIsQueuedOnceRunByTheNextSyncAndToldToItsSlackRequester() async throws {
        try await DatabaseSyncTests.withFixture { fixture in
            try await fixture.create("orders")
            let store = fixture.database.store
            let admin = AuditActor(userID: nil, label: "slack:U0ADMIN", source: .slack)
            let reply = SlackReplyTarget(user: "U0ADMIN", channel: "C0OPS")
            let first = try await store.requestSync(of: fixture.instance, trigger: .slack, by: admin, replyTo: reply)
            guard case .queued(let queued) = first else { Issue.record("\(first)"); return }
            #expect(queued.status == "queued" && queued.trigger == .slack && queued.requestedBy == "slack:U0ADMIN")

            let second = try await store.requestSync(of: fixture.instance, trigger: .api, by: Self.tester)
            #expect(second == .alreadyRunning(queued))
            #expect(try await Rows.count("database_sync_history", in: fixture.database) == 1)
            let audited = try await Rows.strings(
                "SELECT action || ' ' || actor_label FROM audit_logs WHERE action = 'instance.sync_requested'", in: fixture.database)
            #expect(audited == ["instance.sync_requested slack:U0ADMIN"])

            // The worker (or a CLI sync) takes the queued row over: one run, with the requester's trigger.
            let ran = try await DatabaseSyncTests.syncer(fixture).runQueued()
            #expect(ran?.instance == "pg-sync")
            #expect(ran.map { DatabaseSyncTests.changes($0.outcome) } == [1, 1, 0, 0])
            #expect(try await DatabaseSyncTests.syncer(fixture).runQueued() == nil)
            let history = try await store.syncHistory(instance: fixture.instance)
            #expect(history.map { "\($0.status) \($0.trigger) \($0.triggeredBy ?? "")" } == ["succeeded slack slack:U0ADMIN"])

            let told = try await Rows.strings(
                """
                SELECT recipient || ' ' || channel_id || ' ' || (payload->>'text') FROM slack_notifications
                WHERE notification_type = 'ephemeral'
                """, in: fixture.database)
            // The shared test cluster holds other tests' databases too, which the fixture's blacklist skips.
            #expect(told.count == 1 && told[0].hasPrefix("U0ADMIN C0OPS Synced pg-sync: 1 database found, 1 added, 0 reactivated, 0 marked missing"),
                    "\(told)")
        }
    }

    @Test func aCLISyncServesAQueuedRequest() async throws {
        try await DatabaseSyncTests.withFixture { fixture in
            try await fixture.create("orders")
            let store = fixture.database.store
            _ = try await store.requestSync(of: fixture.instance, trigger: .api, by: Self.tester)
            #expect(DatabaseSyncTests.changes(try await DatabaseSyncTests.sync(fixture)) == [1, 1, 0, 0])
            #expect(try await store.syncHistory(instance: fixture.instance).map { "\($0.status) \($0.trigger)" } == ["succeeded api"])
        }
    }

    @Test func aDeactivatedOrUnknownInstanceIsNotQueued() async throws {
        try await DatabaseSyncTests.withFixture { fixture in
            let store = fixture.database.store
            await #expect(throws: ValidationError(field: "instance", "there is no instance named 'nope' (see `querygate instances list`)")) {
                try await store.requestSync(of: try InstanceName("nope"), trigger: .api, by: Self.tester)
            }
            try await fixture.database.client.query("UPDATE database_instances SET is_active = false WHERE name = 'pg-sync'")
            await #expect(throws: ValidationError(field: "instance", "instance 'pg-sync' is deactivated: activate it before syncing it")) {
                try await store.requestSync(of: fixture.instance, trigger: .api, by: Self.tester)
            }
            #expect(try await Rows.count("database_sync_history", in: fixture.database) == 0)
            #expect(try await Rows.count("audit_logs WHERE action = 'instance.sync_requested'", in: fixture.database) == 0)
        }
    }

    @Test func aReconcileThePortalRefusesIsRolledBackAndRecordedAsFailed() async throws {
        try await DatabaseSyncTests.withFixture { fixture in
            try await fixture.create("orders")
            // A regex PostgreSQL cannot compile, slipped past `blacklist add` (which checks).
            try await fixture.database.client.query("INSERT INTO database_blacklist (instance_id, pattern, kind) VALUES (NULL, '(', 'regex')")
            let outcome = try await DatabaseSyncTests.sync(fixture)
            guard case .failed(let message) = outcome else { Issue.record("\(outcome)"); return }
            #expect(message.contains("SQLSTATE 2201B"), "\(message)")
            #expect(try await fixture.rows().isEmpty)
            #expect(try await fixture.database.store.syncHistory(instance: fixture.instance).map(\.status) == ["failed"])
        }
    }
}
