import Foundation
import Logging
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import RequestExecution
import Testing
import TargetEngines

/// The executor's own rules, on the in-memory `ExecutionQueue` and a scripted engine: no database, no target. What
/// the PostgreSQL queue adds (SKIP LOCKED between replicas, NOTIFY, the outcome's outbox rows) is tested against the
/// real server in `ExecutionQueueContractTests`, `ExecutionTests` and the fault tests.
@Suite("The executor, on a queue in memory")
struct RequestExecutorTests {
    static func executor(_ queue: MemoryExecutionQueue, _ engine: ScriptedEngine, id: String = "executor-a", lease: Duration = .seconds(30),
                         poll: Duration = .milliseconds(20), progress: Duration = .seconds(15)) -> RequestExecutor {
        var settings = RequestExecutor.Settings()
        settings.executorID = id
        settings.lease = lease
        settings.pollInterval = poll
        settings.sweepInterval = .milliseconds(50)
        settings.progressInterval = progress
        return RequestExecutor(queue: queue, engines: TargetEngineRegistry([engine]), settings: settings, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    @Test(.timeLimit(.minutes(1)))
    func everyApprovedRequestRunsExactlyOnceWhenThreeExecutorsShareTheQueue() async throws {
        let queue = MemoryExecutionQueue()
        let engine = ScriptedEngine { run in
            try? await Task.sleep(for: .milliseconds(5))
            return .success(ScriptedEngine.result(rows: [run.text]))
        }
        for id in 1...12 { await queue.approve(.sample(id)) }
        let executors = ["a", "b", "c"].map { Self.executor(queue, engine, id: "executor-\($0)") }
        await withTaskGroup(of: Void.self) { group in
            for executor in executors {
                group.addTask { while (try? await executor.runNext()) != nil {} }
            }
        }
        #expect(engine.runs.sorted() == (1...12).map { "SELECT \($0)" }.sorted())
        for id in 1...12 {
            #expect(await queue.status(of: id) == .completed)
            #expect(await queue.audit(of: id) == [.requestApproved, .executionStarted, .executionCompleted])
            #expect(await queue.outcome(of: id) == .completed(ScriptedEngine.result(rows: ["SELECT \(id)"])))
        }
    }

    /// The poll is an hour: only the queue's word of the approval can make the waiting executor run it.
    @Test(.timeLimit(.minutes(1)))
    func anApprovalWakesAWaitingExecutor() async throws {
        let queue = MemoryExecutionQueue()
        let engine = ScriptedEngine { _ in .success(ScriptedEngine.result(rows: ["1"])) }
        let executor = Self.executor(queue, engine, poll: .seconds(3600))
        let service = Task { try await executor.run() }
        defer { service.cancel() }
        #expect(await eventually { await queue.watcherCount == 1 })
        // Let the work loop take the watch's first word, find nothing, and go to sleep.
        try await Task.sleep(for: .milliseconds(200))
        #expect(engine.runs.isEmpty)

        await queue.approve(.sample(7))
        #expect(await eventually { await queue.status(of: 7) == .completed })
        #expect(engine.runs == ["SELECT 7"])
    }

    /// Another replica's sweep declares the request interrupted: the run is cancelled on the target and its outcome,
    /// which would say something it cannot vouch for, is not recorded over the interruption.
    @Test(.timeLimit(.minutes(1)))
    func aLostLeaseCancelsTheRunAndRecordsNothing() async throws {
        let queue = MemoryExecutionQueue()
        let engine = ScriptedEngine { _ in await ScriptedEngine.runUntilCancelled() }
        let executor = Self.executor(queue, engine, lease: .milliseconds(600))
        await queue.approve(.sample(3, text: "SELECT pg_sleep(30)"))
        let running = Task { try await executor.runNext() }
        #expect(await eventually { engine.runs.count == 1 })

        await queue.expireLease(of: 3)
        #expect(try await queue.failInterruptedRequests() == [3])
        #expect(try await running.value == 3)
        #expect(engine.cancelledRuns == ["SELECT pg_sleep(30)"])
        #expect(await queue.status(of: 3) == .failed)
        #expect(await queue.outcome(of: 3) == .failed(.interrupted))
        #expect(await queue.audit(of: 3) == [.requestApproved, .executionStarted, .executionInterrupted])
    }

    /// A run that happened is recorded even when the portal database is away for a moment at that point.
    @Test(.timeLimit(.minutes(1)))
    func anOutcomeIsRecordedOnceTheDatabaseIsBack() async throws {
        let queue = MemoryExecutionQueue()
        let engine = ScriptedEngine { _ in .success(ScriptedEngine.result(rows: ["done"])) }
        let executor = Self.executor(queue, engine)
        await queue.approve(.sample(4))
        await queue.failOutcomeRecords(1)
        #expect(try await executor.runNext() == 4)
        #expect(await queue.status(of: 4) == .completed)
        #expect(await queue.audit(of: 4).filter { $0 == .executionCompleted }.count == 1)
        #expect(engine.runs.count == 1)
    }

    /// A long run asks for its approval message to say how long it has run; while one update waits for Slack, the
    /// next ticks queue nothing more.
    @Test(.timeLimit(.minutes(1)))
    func aLongRunQueuesOneProgressUpdateAtATime() async throws {
        let queue = MemoryExecutionQueue()
        let finish = Gate()
        let engine = ScriptedEngine { _ in
            await finish.wait()
            return .success(ScriptedEngine.result(rows: ["slow"]))
        }
        let executor = Self.executor(queue, engine, progress: .milliseconds(50))
        await queue.approve(.sample(5))
        let running = Task { try await executor.runNext() }
        #expect(await eventually { engine.runs.count == 1 })
        // Until the claim's own update ("running") is delivered, no tick queues another.
        try await Task.sleep(for: .milliseconds(300))
        #expect(await queue.progressUpdates(of: 5) == 0)
        await queue.deliverUpdates(of: 5)
        #expect(await eventually { await queue.progressUpdates(of: 5) == 1 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(await queue.progressUpdates(of: 5) == 1)
        await queue.deliverUpdates(of: 5)
        #expect(await eventually { await queue.progressUpdates(of: 5) == 2 })

        await finish.open()
        #expect(try await running.value == 5)
        #expect(await queue.status(of: 5) == .completed)
    }

    /// The full result is kept for upload only when the thread's preview cannot show it whole (the core's
    /// `PreviewRule`): three short rows fit; one value longer than a table cell does not.
    @Test(.timeLimit(.minutes(1)))
    func theExportIsKeptOnlyWhenThePreviewCannotShowTheResultWhole() async throws {
        let long = String(repeating: "x", count: 5_000)
        let queue = MemoryExecutionQueue()
        let engine = ScriptedEngine { run in
            let rows = run.text == "SELECT long" ? [long] : ["a", "b", "c"]
            try? Data(("value\r\n" + rows.joined(separator: "\r\n") + "\r\n").utf8).write(to: run.exportURL)
            return .success(ScriptedEngine.result(rows: rows))
        }
        let executor = Self.executor(queue, engine)
        await queue.approve(.sample(1, text: "SELECT short"))
        await queue.approve(.sample(2, text: "SELECT long"))
        #expect(try await executor.runNext() == 1)
        #expect(try await executor.runNext() == 2)
        #expect(await queue.exports(of: 1).isEmpty)
        let file = try #require(await queue.exports(of: 2)[.csv])
        #expect(String(decoding: file, as: UTF8.self) == "value\r\n\(long)\r\n")
        // The spool files are gone once the outcomes are recorded.
        #expect(engine.exportURLs.count == 2)
        #expect(engine.exportURLs.allSatisfy { !FileManager.default.fileExists(atPath: $0.path) })
    }
}
