import Foundation
import Foundation
import Logging
import NIOPosix
import PortalStore
import QueryGateCore
import TargetEngines

/// The hybrid sync, wired: for each instance, list its databases with the lister of its type (credentials from
/// the environment, as the engines read them) and let the store reconcile the registry. Every door (the CLI, the
/// schedule in `serve`, the API, Slack) syncs through this one type.
///
/// A sync claims its instance with its history row (see `PortalStore.beginSync`), held for `lease`: the listing's
/// `timeout`, the finishing transaction's deadline, and a margin. A process that dies mid-sync therefore blocks
/// its instance for at most that long; the next sync then closes the row as interrupted.
public struct DatabaseSync: Sendable {
    let store: PortalStore
    let postgres: PostgresDatabaseLister
    let mongo: MongoDatabaseLister
    let environment: [String: String]
    let timeout: Duration
    let logger: Logger
    /// Names this process in `database_sync_history.claimed_by`.
    let workerID = "sync-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"

    public init(store: PortalStore, threadPool: NIOThreadPool, environment: [String: String], timeout: Duration, logger: Logger) {
        self.store = store
        self.postgres = PostgresDatabaseLister(threadPool: threadPool)
        self.mongo = MongoDatabaseLister(threadPool: threadPool, logger: logger)
        self.environment = environment
        self.timeout = timeout
        self.logger = logger
    }

    var lease: Duration { timeout + PortalStore.syncFinishDeadline + .seconds(30) }

    /// Syncs one instance, or every active one when `instance` is nil, one after the other.
    /// - Throws: `ValidationError` for an unknown instance, before anything runs.
    public func sync(
        instance: InstanceName? = nil, trigger: SyncTrigger, by actor: AuditActor, skipIfSyncedWithin: Duration? = nil
    ) async throws -> [(instance: String, outcome: SyncOutcome)] {
        let names: [InstanceName]
        if let instance {
            names = [instance]
        } else {
            names = try await store.listInstances().filter(\.isActive).map { try InstanceName($0.name) }
        }
        var results: [(instance: String, outcome: SyncOutcome)] = []
        for name in names {
            let outcome = try await store.syncInstance(
                named: name, trigger: trigger, by: actor, worker: workerID, lease: lease, skipIfSyncedWithin: skipIfSyncedWithin, list: lister())
            log(outcome, instance: name.rawValue, trigger: trigger)
            results.append((name.rawValue, outcome))
        }
        return results
    }

    /// Runs the oldest sync queued through the API or Slack, if there is one; `nil` when none is waiting.
    public func runQueued() async throws -> (instance: String, outcome: SyncOutcome)? {
        guard let claim = try await store.claimQueuedSync(worker: workerID, lease: lease) else { return nil }
        let outcome = try await store.run(claim, list: lister())
        log(outcome, instance: claim.instance.name, trigger: claim.trigger)
        return (claim.instance.name, outcome)
    }

    private func log(_ outcome: SyncOutcome, instance name: String, trigger: SyncTrigger) {
        switch outcome {
        case .failed(let message):
            logger.warning("database sync failed", metadata: ["instance": "\(name)", "trigger": "\(trigger.rawValue)", "error": "\(message)"])
        case .succeeded(let counts):
            logger.info("database sync done", metadata: [
                "instance": "\(name)", "trigger": "\(trigger.rawValue)", "found": "\(counts.found)", "added": "\(counts.added)",
                "reactivated": "\(counts.reactivated)", "marked_missing": "\(counts.markedMissing)",
            ])
        case .alreadyRunning, .syncedRecently:
            break
        }
    }

    /// The listing step for the store: the lister that fits the instance's type.
    func lister() -> @Sendable (DatabaseInstance) async throws -> DatabaseListing {
        let (postgres, mongo, environment, timeout) = (self.postgres, self.mongo, self.environment, self.timeout)
        return { instance in
            guard instance.isActive else { throw ExecutionFailure(message: "instance \(instance.name) is deactivated") }
            switch instance.credentials {
            case .environmentPrefix(let prefix):
                return try await postgres.databases(prefix: prefix.rawValue, environment: environment, timeout: timeout)
            case .connectionStringVariable(let variable):
                return try await mongo.databases(variable: variable.rawValue, environment: environment, timeout: timeout)
            case nil:
                throw ExecutionFailure(message: "instance \(instance.name) names no credential variables")
            }
        }
    }
}
