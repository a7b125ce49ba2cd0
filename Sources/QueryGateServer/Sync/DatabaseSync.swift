import Foundation
import Logging
import NIOPosix
import PortalStore
import QueryGateCore
import TargetEngines

/// The hybrid sync, wired: for each instance, list its databases with the lister of its type (credentials from
/// the environment, as the engines read them) and let the store reconcile the registry. Every door (the CLI, the
/// schedule in `serve`, the API, Slack) syncs through this one type.
public struct DatabaseSync: Sendable {
    let store: PortalStore
    let postgres: PostgresDatabaseLister
    let environment: [String: String]
    let timeout: Duration
    let logger: Logger

    public init(store: PortalStore, threadPool: NIOThreadPool, environment: [String: String], timeout: Duration, logger: Logger) {
        self.store = store
        self.postgres = PostgresDatabaseLister(threadPool: threadPool)
        self.environment = environment
        self.timeout = timeout
        self.logger = logger
    }

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
                named: name, trigger: trigger, by: actor, skipIfSyncedWithin: skipIfSyncedWithin, list: lister())
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
            results.append((name.rawValue, outcome))
        }
        return results
    }

    /// The listing step for the store: the lister that fits the instance's type.
    func lister() -> @Sendable (DatabaseInstance) async throws -> [String] {
        let (postgres, environment, timeout) = (self.postgres, self.environment, self.timeout)
        return { instance in
            guard instance.isActive else { throw ExecutionFailure(message: "instance \(instance.name) is deactivated") }
            switch instance.credentials {
            case .environmentPrefix(let prefix):
                return try await postgres.databaseNames(prefix: prefix.rawValue, environment: environment, timeout: timeout)
            case .connectionStringVariable:
                throw ExecutionFailure(message: "listing the databases of a MongoDB instance is not supported yet: add them with `querygate databases add`")
            case nil:
                throw ExecutionFailure(message: "instance \(instance.name) names no credential variables")
            }
        }
    }
}
