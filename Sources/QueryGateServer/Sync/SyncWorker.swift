import Logging
import PortalStore
import QueryGateCore
import ServiceLifecycle

/// The syncs of `querygate serve`, once the migrations are applied (the server answers meanwhile, from the cached
/// registry):
/// - **Scheduled**: one pass over the active instances at start-up, then one every `QUERYGATE_SYNC_INTERVAL`
///   (none when it is 0).
/// - **Queued**: the syncs asked for through the API or Slack, as soon as a NOTIFY on `PortalStore.syncChannel`
///   says one is waiting (and every `pollInterval`, in case a NOTIFY was missed).
///
/// Replicas share the work through the portal database: an instance another replica is syncing is skipped (its
/// history row is the claim), and so is one synced by anyone within half an interval, so N replicas do not sync
/// an instance N times per interval. A failed sync is simply tried again at the next pass; a failing loop (the
/// portal database is down) logs and goes on at its next turn.
struct SyncWorker: Service {
    let sync: DatabaseSync
    let store: PortalStore
    /// `nil`: no scheduled passes; queued syncs still run.
    let interval: Duration?
    var pollInterval: Duration = .seconds(5)
    let logger: Logger

    func run() async throws {
        let wake = WakeSignal()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { [store, pollInterval] in await store.listen(on: PortalStore.syncChannel, wake: wake, retryDelay: pollInterval) }
                group.addTask { await runQueued(wake: wake) }
                if let interval { group.addTask { await runScheduled(every: interval) } }
            }
        }
    }

    private func runScheduled(every interval: Duration) async {
        var trigger = SyncTrigger.startup
        while !Task.isCancelled {
            do {
                _ = try await sync.sync(trigger: trigger, by: .system, skipIfSyncedWithin: trigger == .startup ? .seconds(60) : interval / 2)
            } catch {
                logger.warning("database sync pass failed; trying again at the next one", metadata: ["error": "\(PortalStore.errorDescription(error))"])
            }
            trigger = .schedule
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    private func runQueued(wake: WakeSignal) async {
        while !Task.isCancelled {
            do {
                // Every waiting sync, then a pause until the next NOTIFY or poll.
                while !Task.isCancelled, try await sync.runQueued() != nil {}
            } catch {
                logger.warning("running a queued database sync failed; trying again", metadata: ["error": "\(PortalStore.errorDescription(error))"])
            }
            await wake.wait(upTo: pollInterval)
        }
    }
}
