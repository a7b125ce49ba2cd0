import Foundation
import QueryGateCore
import TargetEngines

/// An engine for the executor's own tests: each run does what `script` says, and the engine keeps what it was
/// asked to run and whether a run saw its task cancelled (which is how the executor stops a run on the target).
final class ScriptedEngine: TargetEngine, @unchecked Sendable {
    let databaseType: DatabaseType = .postgresql
    private let script: @Sendable (TargetRun) async -> Result<ExecutionResult, ExecutionFailure>
    private let lock = NSLock()
    private var _runs: [String] = []
    private var _cancelledRuns: [String] = []
    private var _exportURLs: [URL] = []

    init(_ script: @escaping @Sendable (TargetRun) async -> Result<ExecutionResult, ExecutionFailure>) {
        self.script = script
    }

    /// The texts run, in the order the runs began.
    var runs: [String] { lock.withLock { _runs } }
    /// The texts of runs that ended with their task cancelled.
    var cancelledRuns: [String] { lock.withLock { _cancelledRuns } }
    /// Where each run was told to write its full result.
    var exportURLs: [URL] { lock.withLock { _exportURLs } }

    func execute(_ run: TargetRun, environment: [String: String]) async -> Result<ExecutionResult, ExecutionFailure> {
        lock.withLock {
            _runs.append(run.text)
            _exportURLs.append(run.exportURL)
        }
        let result = await script(run)
        if Task.isCancelled { lock.withLock { _cancelledRuns.append(run.text) } }
        return result
    }

    func shutdown() async {}

    /// A result of one `SELECT` with `rows` single-column rows, all kept in the preview.
    static func result(rows: [String]) -> ExecutionResult {
        ExecutionResult(
            statements: [.init(command: "SELECT \(rows.count)", rowsAffected: nil, rowsReturned: rows.count)],
            preview: .init(columns: [.init(name: "value", type: "text")], rows: rows.map { [$0] }, totalRows: rows.count, rowsKept: rows.count),
            notices: [], milliseconds: 1, exportBytes: nil)
    }

    /// Waits until cancelled (as a statement on a slow target would), then fails as a cancelled statement does.
    static func runUntilCancelled() async -> Result<ExecutionResult, ExecutionFailure> {
        while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
        return .failure(ExecutionFailure(message: "canceling statement due to user request", sqlState: "57014"))
    }
}
