import Foundation
import QueryGateCore
import QueryGateTestSupport
import Testing
@testable import QueryGateServer

/// The syncs of `serve`: a pass at start-up, then one per interval, skipping what was synced recently; and the
/// queued ones, as soon as they are queued.
@Suite("Sync worker")
struct SyncWorkerTests {
    @Test func aPassRunsAtStartUpAndAgainEachInterval() async throws {
        try await TestDatabase.withMigrated { database in
            let fixture = try await SyncFixture.make(database)
            try await fixture.create("orders")
            let sync = DatabaseSync(store: database.store, threadPool: .singleton, environment: fixture.environment,
                                    timeout: .seconds(10), logger: database.server.logger)
            let scheduler = Task { try await SyncWorker(sync: sync, store: database.store, interval: .seconds(1), logger: database.server.logger).run() }
            var triggers: [String] = []
            // Generous: the whole suite runs beside this test.
            for _ in 0..<300 {
                triggers = try await database.store.syncHistory(instance: fixture.instance).filter { $0.finishedAt != nil }.map(\.trigger)
                if triggers.count >= 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            scheduler.cancel()
            _ = try? await scheduler.value
            #expect(Array(triggers.suffix(2)) == ["schedule", "startup"], "\(triggers)")
            #expect(try await fixture.rows() == ["\(fixture.prefix)_orders synced active"])
            try await fixture.dropAll()
        }
    }

    @Test func aQueuedSyncRunsAtOnceWithNoIntervalSet() async throws {
        try await TestDatabase.withMigrated { database in
            let fixture = try await SyncFixture.make(database)
            try await fixture.create("orders")
            let sync = DatabaseSync(store: database.store, threadPool: .singleton, environment: fixture.environment,
                                    timeout: .seconds(10), logger: database.server.logger)
            // A poll far beyond the test's patience: only the NOTIFY can wake the worker in time.
            let worker = Task {
                try await SyncWorker(sync: sync, store: database.store, interval: nil, pollInterval: .seconds(600), logger: database.server.logger).run()
            }
            try await Task.sleep(for: .milliseconds(300))
            let queuedAt = ContinuousClock.now
            _ = try await database.store.requestSync(of: fixture.instance, trigger: .api, by: .cli(osUser: "tester"))
            var statuses: [String] = []
            for _ in 0..<600 {
                statuses = try await database.store.syncHistory(instance: fixture.instance).map(\.status)
                if statuses == ["succeeded"] { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let waited = queuedAt.duration(to: .now)
            worker.cancel()
            _ = try? await worker.value
            #expect(statuses == ["succeeded"], "after \(waited)")
            #expect(try await fixture.rows() == ["\(fixture.prefix)_orders synced active"])
            try await fixture.dropAll()
        }
    }
}
