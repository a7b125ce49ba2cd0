// Exports rows to CSV through QueryGate's PostgreSQL engine, and the same query through `psql \copy … csv`, and
// prints time and peak memory of each. A benchmark, not a test: it prints numbers and asserts nothing.
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

// --- QueryGate's engine ------------------------------------------------------------------------------------------
let pool = NIOThreadPool(numberOfThreads: 1)
pool.start()
var logger = Logger(label: "benchmark")
logger.logLevel = .error
let limits = ExecutionLimits(statementTimeout: .seconds(600), maxRows: rows, maxResultBytes: Int.max, previewRows: 20)
let engine = PostgresEngine(threadPool: pool, limits: limits, logger: logger)
let export = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("querygate-benchmark-\(getpid()).csv")
defer { try? FileManager.default.removeItem(at: export) }
let settings = try PostgresTargetSettings.resolve(prefix: "PG", database: database, environment: [
    "PG_HOST": environment["PGHOST"] ?? "127.0.0.1", "PG_PORT": environment["PGPORT"] ?? "5432",
    "PG_USER": environment["PGUSER"] ?? "postgres", "PG_PASSWORD": environment["PGPASSWORD"] ?? "",
])
let memoryBefore = peakResidentKilobytes()
let started = ContinuousClock.now
let result = await engine.execute(PostgresEngine.Job(settings: settings, sql: query, readOnly: true, exportURL: export))
let engineTime = started.duration(to: .now)
guard case .success(let summary) = result else {
    print("engine failed: \(result)")
    exit(1)
}
let engineBytes = summary.exportBytes ?? 0
print("rows: \(rows)")
print("querygate engine: \(seconds(engineTime)), CSV \(megabytes(engineBytes)), peak RSS \(peakResidentKilobytes()) kB (\(memoryBefore) kB before the export)")

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
print("psql \\copy csv:   \(seconds(psqlTime)), CSV \(megabytes(psqlBytes)), peak RSS \(usage.ru_maxrss) kB")
await engine.shutdown()
