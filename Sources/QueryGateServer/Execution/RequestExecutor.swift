import Foundation
import Logging
import PortalStore
import PostgresNIO
import QueryGateCore
import ServiceLifecycle
import SlackGateway
import TargetEngines

/// Runs approved requests, each exactly once: claims them from the portal database (`SKIP LOCKED`, so several
/// gateway processes share the work), runs them on their target, and records the outcome with its audit row and
/// Slack notifications. Wakes on LISTEN/NOTIFY when a request is approved, and polls as a fallback.
///
/// While a request runs, its lease is renewed; a request whose lease expires (its process died) is declared
/// failed, "interrupted", by any executor's sweep, and never re-run by itself.
public struct RequestExecutor: Service {
    public struct Settings: Sendable {
        /// Names this process in `query_requests.executor_id` and the audit log.
        public var executorID = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        /// How long a claim holds without renewal; renewed every third of it.
        public var lease: Duration = .seconds(30)
        public var pollInterval: Duration = .seconds(1)
        public var sweepInterval: Duration = .seconds(10)
        /// Requests run at once by this process.
        public var concurrency = 2
        /// Where result exports are written before they are stored.
        public var spoolDirectory = FileManager.default.temporaryDirectory
        /// The environment that target credentials are read from (PG_INSTANCE_1_HOST…).
        public var credentials: [String: String] = [:]

        public init() {}
    }

    let store: PortalStore
    let postgres: PostgresEngine
    let mongo: MongoEngine
    let settings: Settings
    let logger: Logger
    private let wake = WakeSignal()

    public init(store: PortalStore, postgres: PostgresEngine, mongo: MongoEngine, settings: Settings, logger: Logger) {
        self.store = store
        self.postgres = postgres
        self.mongo = mongo
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await listenForApprovals() }
            group.addTask { await sweepInterruptedRequests() }
            for _ in 0..<max(1, settings.concurrency) {
                group.addTask { await workLoop() }
            }
        }
        await postgres.shutdown()
        mongo.shutdown()
    }

    /// Claims and runs one approved request, if one waits; returns its id. What each work loop does, exposed for
    /// tests and tools.
    @discardableResult
    public func runNext() async throws -> Int? {
        guard let claimed = try await store.claimApproved(executorID: settings.executorID, lease: settings.lease) else { return nil }
        await execute(claimed)
        return claimed.id
    }

    private var stopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    private func workLoop() async {
        while !stopping {
            do {
                if try await runNext() == nil { await wake.wait(upTo: settings.pollInterval) }
            } catch {
                logger.error("could not claim a request", metadata: ["error": "\(error)"])
                await wake.wait(upTo: settings.pollInterval)
            }
        }
    }

    private func listenForApprovals() async {
        while !stopping {
            do {
                try await cancelWhenGracefulShutdown {
                    try await store.client.withConnection { connection in
                        try await connection.listen(on: PortalStore.executorChannel) { notifications in
                            for try await _ in notifications { await wake.signal() }
                        }
                    }
                }
            } catch {
                if stopping { return }
                logger.warning("LISTEN for approvals failed; polling until it is back", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: settings.pollInterval)
            }
        }
    }

    private func sweepInterruptedRequests() async {
        while !stopping {
            do {
                let interrupted = try await store.failInterruptedRequests()
                if !interrupted.isEmpty {
                    logger.error("requests interrupted: their worker stopped while running them; not re-run", metadata: ["requests": "\(interrupted)"])
                }
            } catch {
                logger.error("could not sweep interrupted requests", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.sweepInterval) }
        }
    }

    // MARK: - One request

    func execute(_ claimed: PortalStore.ClaimedRequest) async {
        var logger = self.logger
        logger[metadataKey: "request"] = "\(claimed.id)"
        logger.info("running request")
        let renewal = Task { [store, settings] in
            while !Task.isCancelled {
                try? await Task.sleep(for: settings.lease / 3)
                if Task.isCancelled { return }
                _ = try? await store.renewLease(requestID: claimed.id, executorID: settings.executorID, lease: settings.lease)
            }
        }
        // The engine writes the full result here (and, for flat MongoDB documents, a CSV beside it).
        let format = claimed.databaseType.exportFormat
        let exportURL = settings.spoolDirectory.appendingPathComponent("querygate-request-\(claimed.id)-\(UUID().uuidString.prefix(8)).\(format.rawValue)")
        let csvBeside = MongoEngine.Job.csvExportURL(beside: exportURL)
        defer {
            try? FileManager.default.removeItem(at: exportURL)
            try? FileManager.default.removeItem(at: csvBeside)
        }

        let outcome = await run(claimed, exportURL: exportURL)
        renewal.cancel()
        // Uploaded only when the thread's preview does not already show every row kept, whole.
        var exports: [ExportFormat: URL] = [:]
        if case .completed(let result) = outcome, let preview = result.preview,
           !ResultMessage.showsWhole(preview, databaseType: claimed.databaseType) {
            exports[format] = exportURL
            if format != .csv, FileManager.default.fileExists(atPath: csvBeside.path) { exports[.csv] = csvBeside }
        }
        await record(outcome, of: claimed.id, exports: exports, logger: logger)
    }

    private func run(_ claimed: PortalStore.ClaimedRequest, exportURL: URL) async -> ExecutionOutcome {
        switch (claimed.databaseType, claimed.credentials) {
        case (.postgresql, .environmentPrefix(let prefix)?):
            do {
                let target = try PostgresTargetSettings.resolve(prefix: prefix.rawValue, database: claimed.databaseName, environment: settings.credentials)
                let readOnly = RiskAnalysis.assess(claimed.queryText, on: .postgresql).isReadOnly
                let job = PostgresEngine.Job(settings: target, sql: claimed.queryText, readOnly: readOnly, exportURL: exportURL)
                switch await postgres.execute(job) {
                case .success(let result): return .completed(result)
                case .failure(let failure): return .failed(failure)
                }
            } catch {
                return .failed(error)
            }
        case (.postgresql, _):
            return .failed(ExecutionFailure(message: "the instance names no credentials_env_prefix: an admin must fix it"))
        case (.mongodb, .connectionStringVariable(let variable)?):
            do {
                let job = try MongoEngine.Job.resolve(
                    variable: variable.rawValue, database: claimed.databaseName, script: claimed.queryText, exportURL: exportURL,
                    environment: settings.credentials)
                switch await mongo.execute(job) {
                case .success(let result): return .completed(result)
                case .failure(let failure): return .failed(failure)
                }
            } catch {
                return .failed(error)
            }
        case (.mongodb, _):
            return .failed(ExecutionFailure(message: "the instance names no connection_string_env: an admin must fix it"))
        }
    }

    /// Records the outcome, retrying a few times: a request left `executing` would otherwise end up declared
    /// interrupted although it ran.
    private func record(_ outcome: ExecutionOutcome, of id: Int, exports: [ExportFormat: URL], logger: Logger) async {
        for attempt in 1...5 {
            do {
                let held = try await store.recordOutcome(requestID: id, executorID: settings.executorID, outcome: outcome, exports: exports)
                if held {
                    logger.info("request finished", metadata: ["outcome": "\(outcome.label)"])
                } else {
                    logger.error("request finished after its lease was lost; it was already declared interrupted", metadata: ["outcome": "\(outcome.label)"])
                }
                return
            } catch {
                logger.error("could not record a request's outcome", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(attempt))
            }
        }
    }
}

extension ExecutionOutcome {
    var label: String {
        switch self {
        case .completed: "completed"
        case .failed(let failure): "failed: \(failure)"
        }
    }
}

/// Wakes waiting work loops when an approval arrives.
actor WakeSignal {
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    func signal() {
        let all = waiters.values
        waiters = [:]
        all.forEach { $0.resume() }
    }

    /// Returns on the next signal, or after `timeout`.
    func wait(upTo timeout: Duration) async {
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.resume(id)
        }
        await withCheckedContinuation { continuation in waiters[id] = continuation }
        timer.cancel()
    }

    private func resume(_ id: UUID) {
        waiters.removeValue(forKey: id)?.resume()
    }
}
