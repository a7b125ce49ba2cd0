import Logging
import NIOPosix
import PortalStore
import QueryGateCore
import ServiceLifecycle

/// The automatic syncs of `querygate serve`: one pass over the active instances at start-up (in the background,
/// once the migrations are applied: the server answers meanwhile, from the cached registry), then one every
/// `QUERYGATE_SYNC_INTERVAL`.
///
/// Replicas share the work through the portal database: an instance another replica is syncing is skipped
/// (its advisory lock), and so is one synced by anyone within half an interval, so N replicas do not sync an
/// instance N times per interval. A failed sync is simply tried again at the next pass.
struct SyncScheduler: Service {
    let sync: DatabaseSync
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var trigger = SyncTrigger.startup
            while !Task.isCancelled {
                do {
                    _ = try await sync.sync(trigger: trigger, by: .system, skipIfSyncedWithin: trigger == .startup ? .seconds(60) : interval / 2)
                } catch {
                    logger.warning("database sync pass failed; trying again at the next one", metadata: ["error": "\(String(describing: error))"])
                }
                trigger = .schedule
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
