// Exports rows to CSV through QueryGate's PostgreSQL engine (through COPY, then a row at a time), and the same query
// through `psql \copy … csv`, and prints time and peak memory of each, and their ratios to psql's. A benchmark, not
// a test: it prints numbers and asserts nothing.
// Run it with scripts/benchmark (which starts a throwaway server and sets PGHOST, PGPORT, PGUSER, PGPASSWORD).
import Foundation
import Logging
import NIOPosix
import QueryGateCore
import TargetEngines

#if canImport(Glibc)
import Glibc
#endif

let rows = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1_000_000
let environment = ProcessInfo.processInfo.environment
let database = environment["PGDATABASE"] ?? "postgres"
let query = """
    SELECT g AS id, 'customer' || g || '@example.com' AS email, (g * 1.25)::numeric(12,2) AS amount,
           timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS placed_at,
           CASE WHEN g % 10 = 0 THEN NULL ELSE 'note, with "quotes" ' || g END AS note
    FROM generate_series(1, \(rows)) AS g
    """

/// Peak resident memory of this process so far, from /proc (kB).
func peakResidentKilobytes() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
}

func megabytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) + " MB" }

func seconds(_ duration: Duration) -> String {
    String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) + " s"
}

// --- QueryGate's engine, through COPY and a row at a time ---------------------------------------------------------
let pool = NIOThreadPool(numberOfThreads: 1)
pool.start()
var logger = Logger(label: "benchmark")
logger.logLevel = .error
let limits = ExecutionLimits(statementTimeout: .seconds(600), maxRows: rows, maxResultBytes: Int.max, previewRows: 20)
let engine = PostgresEngine(threadPool: pool, limits: limits, logger: logger)
let settings = try PostgresTargetSettings.resolve(prefix: "PG", database: database, environment: [
    "PG_HOST": environment["PGHOST"] ?? "127.0.0.1", "PG_PORT": environment["PGPORT"] ?? "5432",
    "PG_USER": environment["PGUSER"] ?? "postgres", "PG_PASSWORD": environment["PGPASSWORD"] ?? "",
])

/// Runs the export once; returns its time and the file's contents' size. Peak RSS is the process's so far.
func export(throughCopy: Bool, to url: URL) async -> (Duration, Int) {
    var job = PostgresEngine.Job(settings: settings, sql: query, readOnly: true, exportURL: url)
    job.exportThroughCopy = throughCopy
    let started = ContinuousClock.now
    let result = await engine.execute(job)
    let time = started.duration(to: .now)
    guard case .success(let summary) = result else {
        print("engine failed: \(result)")
        exit(1)
    }
    return (time, summary.exportBytes ?? 0)
}

let temporary = URL(fileURLWithPath: NSTemporaryDirectory())
let copyExport = temporary.appendingPathComponent("querygate-benchmark-copy-\(getpid()).csv")
let rowExport = temporary.appendingPathComponent("querygate-benchmark-rows-\(getpid()).csv")
defer {
    try? FileManager.default.removeItem(at: copyExport)
    try? FileManager.default.removeItem(at: rowExport)
}
let memoryBefore = peakResidentKilobytes()
let (copyTime, copyBytes) = await export(throughCopy: true, to: copyExport)
let memoryAfterCopy = peakResidentKilobytes()
let (rowTime, rowBytes) = await export(throughCopy: false, to: rowExport)
print("rows: \(rows)")
print("querygate, COPY:         \(seconds(copyTime)), CSV \(megabytes(copyBytes)), peak RSS \(memoryAfterCopy) kB (\(memoryBefore) kB before)")
print("querygate, row at a time: \(seconds(rowTime)), CSV \(megabytes(rowBytes)), peak RSS \(peakResidentKilobytes()) kB")
let identical = FileManager.default.contentsEqual(atPath: copyExport.path, andPath: rowExport.path)
print("the two files are \(identical ? "byte-identical" : "DIFFERENT")")

// --- psql \copy, for comparison -----------------------------------------------------------------------------------
let psqlOutput = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("querygate-benchmark-psql-\(getpid()).csv")
defer { try? FileManager.default.removeItem(at: psqlOutput) }
let copy = "\\copy (\(query.replacingOccurrences(of: "\n", with: " "))) to stdout csv header"
var actions = posix_spawn_file_actions_t()
posix_spawn_file_actions_init(&actions)
posix_spawn_file_actions_addopen(&actions, 1, psqlOutput.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
let psqlArguments: [String] = ["/usr/bin/psql", "-X", "-q", "-d", database, "-c", copy]
var arguments = psqlArguments.map { strdup($0) } + [nil]
var pid = pid_t()
let psqlStarted = ContinuousClock.now
guard posix_spawn(&pid, "/usr/bin/psql", &actions, nil, &arguments, environ) == 0 else {
    print("could not start psql")
    exit(1)
}
var status: Int32 = 0
var usage = rusage()
wait4(pid, &status, 0, &usage)
let psqlTime = psqlStarted.duration(to: .now)
let psqlBytes = (try? FileManager.default.attributesOfItem(atPath: psqlOutput.path)[.size] as? Int) ?? 0
print("psql \\copy csv:          \(seconds(psqlTime)), CSV \(megabytes(psqlBytes)), peak RSS \(usage.ru_maxrss) kB")
func ratio(_ duration: Duration) -> String { String(format: "%.2f×", (duration / .milliseconds(1)) / (psqlTime / .milliseconds(1))) }
print("export time / psql's: COPY \(ratio(copyTime)), row at a time \(ratio(rowTime)) (the target is ≤ 1.2×)")
await engine.shutdown()
