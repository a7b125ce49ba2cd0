import CLibMongoc
import Foundation
import Logging
import NIOPosix
import QueryGateCore

/// Runs requests on target MongoDB databases through libmongoc.
///
/// - A request is mongosh-style text (`db.orders.find({…})`), parsed into commands by `MongoShellParser`, never
///   evaluated. A script runs its statements in order and stops at the first error; MongoDB has no transaction
///   across them here, so writes before the error stay (the approval message says so).
/// - Every command, read or write, carries `maxTimeMS` from the statement timeout, so the server stops one that
///   runs too long.
/// - Cancelling the task running `execute` stops the script before its next statement (`ExecutionFailure.cancelled`
///   when nothing was written yet). A command already sent is not interrupted: libmongoc has no cancel for a
///   running command (only `killOp` from another connection), so it ends when it finishes or at its `maxTimeMS`.
/// - Documents stream from the cursor into a `DocumentCollector` (preview and JSON Lines export), so memory stays
///   bounded whatever the result's size.
/// - Blocking driver calls run on the targets' thread pool; one client pool per connection string.
public final class MongoEngine: Sendable {
    public struct Job: Sendable {
        /// The connection string, from the variable the instance names.
        public let uri: String
        /// That variable's name, for messages (the connection string itself is never repeated).
        public let uriVariable: String
        public let database: String
        public let script: String
        /// Where the JSON Lines export of the result goes.
        public let exportURL: URL

        /// Where the CSV of a result of flat documents goes, beside the JSON Lines.
        public var csvExportURL: URL { Self.csvExportURL(beside: exportURL) }

        public static func csvExportURL(beside exportURL: URL) -> URL {
            exportURL.deletingPathExtension().appendingPathExtension(ExportFormat.csv.rawValue)
        }

        public init(uri: String, uriVariable: String, database: String, script: String, exportURL: URL) {
            self.uri = uri
            self.uriVariable = uriVariable
            self.database = database
            self.script = script
            self.exportURL = exportURL
        }

        /// The job for `database` on the instance whose connection string is in `variable`.
        public static func resolve(
            variable: String, database: String, script: String, exportURL: URL, environment: [String: String]
        ) throws(ExecutionFailure) -> Job {
            guard let uri = environment[variable], !uri.isEmpty else {
                throw ExecutionFailure(message: "\(variable) is not set where QueryGate runs, so the target cannot be reached")
            }
            return Job(uri: uri, uriVariable: variable, database: database, script: script, exportURL: exportURL)
        }
    }

    /// Documents asked for per round trip.
    static let batchSize = 1000

    let threadPool: NIOThreadPool
    let limits: ExecutionLimits
    let pools = MongoClientPools()
    let logger: Logger

    public init(threadPool: NIOThreadPool, limits: ExecutionLimits, logger: Logger) {
        MongoDriver.initialise(logger: logger)
        self.threadPool = threadPool
        self.limits = limits
        self.logger = logger
    }

    public func execute(_ job: Job) async -> Result<ExecutionResult, ExecutionFailure> {
        guard !Task.isCancelled else { return .failure(.cancelled) }
        let statements: [MongoStatement]
        do {
            statements = try MongoShellParser.parse(job.script)
            try MongoStatementPolicy.check(statements, database: job.database)
        } catch let error as MongoParseError {
            return .failure(ExecutionFailure(message: "the request does not parse: \(error)"))
        } catch {
            return .failure(ExecutionFailure(message: "\(error)"))
        }
        let limits = self.limits
        let cancellation = MongoCancellation()
        do {
            let pool = try pools.pool(uri: job.uri, variable: job.uriVariable)
            return try await withTaskCancellationHandler {
                try await threadPool.runIfActive {
                    pool.withClient { client in MongoRun(client: client, job: job, limits: limits, cancellation: cancellation).run(statements) }
                }
            } onCancel: {
                cancellation.cancel()
            }
        } catch let failure as ExecutionFailure {
            return .failure(failure)
        } catch {
            return .failure(ExecutionFailure(message: "the target engine is shutting down: \(error)"))
        }
    }

    /// Closes every client pool.
    public func shutdown() {
        pools.removeAll()
    }
}
