import Foundation
import QueryGateCore
import QueryGateTestSupport
import Testing
@testable import QueryGateServer

/// The automatic syncs: a pass at start-up, then one per interval, skipping what was synced recently.
@Suite("Sync scheduling")
struct SyncSchedulerTests {
    @Test func aPassRunsAtStartUpAndAgainEachInterval() async throws {
        try await TestDatabase.withMigrated { database in
            let fixture = try await SyncFixture.make(database)
            try await fixture.create("orders")
            let sync = DatabaseSync(store: database.store, threadPool: .singleton, environment: fixture.environment,
                                    timeout: .seconds(10), logger: database.server.logger)
            let scheduler = Task { try await SyncScheduler(sync: sync, interval: .seconds(1), logger: database.server.logger).run() }
            var triggers: [String] = []
            for _ in 0..<100 {
                triggers = try await database.store.syncHistory(instance: fixture.instance).map(\.trigger)
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
}
