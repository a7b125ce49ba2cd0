import Foundation
import Logging
import PortalStore
import QueryGateCore
import ServiceLifecycle
import TargetEngines

/// Runs approved requests, each exactly once: claims them from the portal database (`SKIP LOCKED`, so several
/// gateway processes share the work), runs them on their target, and records the outcome with its audit row and
/// Slack notifications. Wakes on LISTEN/NOTIFY when a request is approved, and polls as a fallback.
///
/// While a request runs, its lease is renewed every third of `lease`. If the lease is found gone, or cannot be
/// renewed for two thirds of it (the portal database is away), the run is cancelled on the target and no outcome
/// is recorded: another replica may already have declared the request interrupted. A request whose lease expires
/// (its process died) is declared failed, "interrupted", by any executor's sweep within `lease + sweepInterval`, and
/// never re-run by itself.
public struct RequestExecutor: Service {
    public struct Settings: Sendable {
        /// Names this process in `query_requests.executor_id` and the audit log.
        public var executorID = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        /// How long a claim holds without renewal; renewed every third of it.
        public var lease: Duration = .seconds(10)
        public var pollInterval: Duration = .seconds(1)
        public var sweepInterval: Duration = .seconds(2)
        /// The longest one portal-database call may take.
        public var portalDeadline: Duration = .seconds(10)
        /// Requests run at once by this process.
        public var concurrency = 2
        /// Where result exports are written before they are stored.
        public var spoolDirectory = FileManager.default.temporaryDirectory
        /// How often a running request's approval message is updated with how long it has run. Slack allows about
        /// 50 `chat.update` calls a minute (Tier 3); one per running request every 15 s stays well within it, and the
        /// updates are coalesced (`PortalStore.enqueueProgressUpdate`).
        public var progressInterval: Duration = .seconds(15)
        /// The environment that target credentials are read from (PG_INSTANCE_1_HOST…).
        public var credentials: [String: String] = [:]
        /// Told how long each run took, on which engine, and how it ended (`completed`, `failed`): the metrics'.
        public var observeRun: @Sendable (DatabaseType, String, Duration) -> Void = { _, _, _ in }

        public init() {}
    }

    let queue: any ExecutionQueue
    let engines: TargetEngineRegistry
    let settings: Settings
    let logger: Logger
    private let wake = WakeSignal()

    /// The executor of QueryGate's two engines.
    public init(queue: any ExecutionQueue, postgres: PostgresEngine, mongo: MongoEngine, settings: Settings, logger: Logger) {
        self.init(queue: queue, engines: TargetEngineRegistry([postgres, mongo]), settings: settings, logger: logger)
    }

    public init(queue: any ExecutionQueue, engines: TargetEngineRegistry, settings: Settings, logger: Logger) {
        self.queue = queue
        self.engines = engines
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [queue, wake, settings] in
                await cancelWhenGracefulShutdown {
                    for await _ in queue.approvals(retryDelay: settings.pollInterval) { await wake.signal() }
                }
            }
            group.addTask { await sweepInterruptedRequests() }
            for _ in 0..<max(1, settings.concurrency) {
                group.addTask { await workLoop() }
            }
        }
        await engines.shutdown()
    }

    /// Claims and runs one approved request, if one waits; returns its id. What each work loop does, exposed for
    /// tests and tools.
    @discardableResult
    public func runNext() async throws -> Int? {
        let claimed = try await withDeadline(settings.portalDeadline, "claiming a request") { [queue, settings] in
            try await queue.claimApproved(executorID: settings.executorID, lease: settings.lease)
        }
        guard let claimed else { return nil }
        await RequestLogContext.$requestID.withValue(claimed.id) { await execute(claimed) }
        return claimed.id
    }

    private var stopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    private func workLoop() async {
        var failures = 0
        while !stopping {
            do {
                let ran = try await runNext()
                failures = 0
                if ran == nil { await cancelWhenGracefulShutdown { await wake.wait(upTo: settings.pollInterval) } }
            } catch {
                failures += 1
                let pause = min(settings.pollInterval * (1 << min(failures, 5)), .seconds(30))
                logger.error("could not claim a request; trying again", metadata: [
                    "error": "\(PortalStore.errorDescription(error))", "consecutive_failures": "\(failures)", "pause": "\(pause)"])
                await cancelWhenGracefulShutdown { await wake.wait(upTo: pause) }
            }
        }
    }

    private func sweepInterruptedRequests() async {
        while !stopping {
            do {
                let interrupted = try await withDeadline(settings.portalDeadline, "sweeping interrupted requests") { [queue] in
                    try await queue.failInterruptedRequests()
                }
                if !interrupted.isEmpty {
                    logger.error("requests interrupted: their worker stopped while running them; not re-run", metadata: ["requests": "\(interrupted)"])
                }
            } catch {
                logger.error("could not sweep interrupted requests", metadata: ["error": "\(PortalStore.errorDescription(error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.sweepInterval) }
        }
    }

    // MARK: - One request

    /// How a run ended: with an outcome to record, or cancelled because the lease was lost.
    private enum RunEnd: Sendable {
        case finished(ExecutionOutcome)
        case leaseLost
    }

    func execute(_ claimed: PortalStore.ClaimedRequest) async {
        var logger = self.logger
        logger[metadataKey: "request"] = "\(claimed.id)"
        logger.info("running request")
        // The engine writes the full result here (and, for flat MongoDB documents, a CSV beside it).
        let format = claimed.databaseType.exportFormat
        let exportURL = settings.spoolDirectory.appendingPathComponent("querygate-request-\(claimed.id)-\(UUID().uuidString.prefix(8)).\(format.rawValue)")
        let csvBeside = MongoEngine.Job.csvExportURL(beside: exportURL)
        defer {
            try? FileManager.default.removeItem(at: exportURL)
            try? FileManager.default.removeItem(at: csvBeside)
        }

        // Whichever ends first wins: the run (the renewal is then cancelled), or the lease's loss (the run is then
        // cancelled, which cancels the statement on the target).
        let started = ContinuousClock.now
        let end = await withTaskGroup(of: RunEnd?.self) { [logger] group in
            group.addTask { .finished(await run(claimed, exportURL: exportURL)) }
            group.addTask { await holdLease(of: claimed.id, logger: logger) }
            group.addTask { await reportProgress(of: claimed.id, logger: logger) }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if case .finished(let outcome)? = end {
            settings.observeRun(claimed.databaseType, outcome.isCompleted ? "completed" : "failed", started.duration(to: .now))
        }
        guard case .finished(let outcome)? = end else {
            logger.error("lost the lease while running; the run was cancelled and its outcome is not recorded (the request is declared interrupted)")
            return
        }
        // Uploaded only when the thread's preview does not already show every row kept, whole: the core's rule, which
        // the Slack reply follows too.
        var exports: [ExportFormat: URL] = [:]
        if case .completed(let result) = outcome, let preview = result.preview,
           !PreviewRule.showsWhole(preview, databaseType: claimed.databaseType) {
            exports[format] = exportURL
            if format != .csv, FileManager.default.fileExists(atPath: csvBeside.path) { exports[.csv] = csvBeside }
        }
        await record(outcome, of: claimed.id, exports: exports, logger: logger)
    }

    /// Renews the lease every third of it until cancelled (then it returns nil); returns `.leaseLost` when the lease is
    /// found gone, or when no renewal succeeded for two thirds of it (by then another replica may declare the request
    /// interrupted).
    private func holdLease(of id: Int, logger: Logger) async -> RunEnd? {
        var renewed = ContinuousClock.now
        var pause = settings.lease / 3
        while !Task.isCancelled {
            try? await Task.sleep(for: pause)
            if Task.isCancelled { break }
            do {
                let held = try await withDeadline(settings.lease / 3, "renewing a lease") { [queue, settings] in
                    try await queue.renewLease(requestID: id, executorID: settings.executorID, lease: settings.lease)
                }
                guard held else {
                    logger.error("the request's lease is gone: another executor declared it interrupted")
                    return .leaseLost
                }
                renewed = .now
                pause = settings.lease / 3
            } catch {
                logger.warning("could not renew the request's lease", metadata: ["error": "\(PortalStore.errorDescription(error))"])
                if renewed.duration(to: .now) >= settings.lease * 2 / 3 { return .leaseLost }
                pause = min(settings.lease / 10, .milliseconds(500))
            }
        }
        return nil
    }

    /// Queues an approval-message update every `progressInterval` until cancelled (it then returns nil, and never
    /// before: the first child to end decides the run). A failure is logged and the next tick tries again.
    private func reportProgress(of id: Int, logger: Logger) async -> RunEnd? {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.progressInterval)
            if Task.isCancelled { break }
            do {
                _ = try await withDeadline(settings.portalDeadline, "queueing a progress update") { [queue] in
                    try await queue.enqueueProgressUpdate(requestID: id)
                }
            } catch {
                logger.warning("could not queue a progress update", metadata: ["error": "\(PortalStore.errorDescription(error))"])
            }
        }
        return nil
    }

    private func run(_ claimed: PortalStore.ClaimedRequest, exportURL: URL) async -> ExecutionOutcome {
        do {
            let run = TargetRun(credentials: try claimed.credentials.get(), database: claimed.databaseName, text: claimed.queryText,
                                exportURL: exportURL)
            return ExecutionOutcome(await engines.execute(run, on: claimed.databaseType, environment: settings.credentials))
        } catch {
            return .failed(error)
        }
    }

    /// Records the outcome, retrying a few times: a request left `executing` would otherwise end up declared
    /// interrupted although it ran.
    private func record(_ outcome: ExecutionOutcome, of id: Int, exports: [ExportFormat: URL], logger: Logger) async {
        for attempt in 1...5 {
            do {
                // A shutdown that begins now must not drop the outcome of a run that happened.
                let held = try await withoutCancellation(settings.portalDeadline, "recording an outcome") { [queue, settings] in
                    try await queue.recordOutcome(requestID: id, executorID: settings.executorID, outcome: outcome, exports: exports)
                }
                if held {
                    logger.info("request finished", metadata: ["outcome": "\(outcome.label)"])
                } else {
                    logger.error("request finished after its lease was lost; it was already declared interrupted", metadata: ["outcome": "\(outcome.label)"])
                }
                return
            } catch {
                logger.error("could not record a request's outcome", metadata: ["attempt": "\(attempt)", "error": "\(PortalStore.errorDescription(error))"])
                try? await Task.sleep(for: .seconds(attempt))
            }
        }
    }
}

extension ExecutionOutcome {
    init(_ result: Result<ExecutionResult, ExecutionFailure>) {
        switch result {
        case .success(let result): self = .completed(result)
        case .failure(let failure): self = .failed(failure)
        }
    }

    var isCompleted: Bool {
        if case .completed = self { return true }
        return false
    }

    var label: String {
        switch self {
        case .completed: "completed"
        case .failed(let failure): "failed: \(failure)"
        }
    }
}
