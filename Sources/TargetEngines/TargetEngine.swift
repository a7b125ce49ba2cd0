import Foundation
import QueryGateCore

/// What an approved request asks of a target: its text, run on one database of an instance whose credentials are
/// in the environment, with the full result written beside `exportURL`.
public struct TargetRun: Sendable {
    public let credentials: InstanceCredentials
    public let database: String
    public let text: String
    public let exportURL: URL

    public init(credentials: InstanceCredentials, database: String, text: String, exportURL: URL) {
        self.credentials = credentials
        self.database = database
        self.text = text
        self.exportURL = exportURL
    }
}

/// One kind of target database. The executor picks the engine by the instance's type (`TargetEngineRegistry`), so
/// that nothing above this module branches on PostgreSQL versus MongoDB.
public protocol TargetEngine: Sendable {
    var databaseType: DatabaseType { get }

    /// Runs `run`, reading credentials from `environment`; a failure (credentials missing or of the wrong kind
    /// included) is the result, never a throw. Cancelling the task stops the run as far as the engine can.
    func execute(_ run: TargetRun, environment: [String: String]) async -> Result<ExecutionResult, ExecutionFailure>

    /// Closes every connection the engine keeps.
    func shutdown() async
}

/// The engines by database type.
public struct TargetEngineRegistry: Sendable {
    private let engines: [DatabaseType: any TargetEngine]

    public init(_ engines: [any TargetEngine]) {
        self.engines = Dictionary(engines.map { ($0.databaseType, $0) }) { _, last in last }
    }

    public func execute(_ run: TargetRun, on type: DatabaseType, environment: [String: String]) async -> Result<ExecutionResult, ExecutionFailure> {
        guard let engine = engines[type] else {
            return .failure(ExecutionFailure(message: "this QueryGate runs no \(type.rawValue) engine"))
        }
        return await engine.execute(run, environment: environment)
    }

    public func shutdown() async {
        for engine in engines.values { await engine.shutdown() }
    }
}

extension ExecutionFailure {
    /// `InstanceCredentials`' initialiser makes the reference fit the type; meeting one that does not means the
    /// portal database was changed behind QueryGate's back.
    static let credentialsOfTheWrongKind = ExecutionFailure(message: "the instance's credentials do not fit its type: an admin must fix it")
}

extension PostgresEngine: TargetEngine {
    public var databaseType: DatabaseType { .postgresql }

    /// A read-only request (by the risk analysis) runs in a read-only transaction that always ends in ROLLBACK.
    public func execute(_ run: TargetRun, environment: [String: String]) async -> Result<ExecutionResult, ExecutionFailure> {
        guard case .environmentPrefix(let prefix) = run.credentials else { return .failure(.credentialsOfTheWrongKind) }
        do {
            let target = try PostgresTargetSettings.resolve(prefix: prefix.rawValue, database: run.database, environment: environment)
            let readOnly = RiskAnalysis.assess(run.text, on: .postgresql).isReadOnly
            return await execute(Job(settings: target, sql: run.text, readOnly: readOnly, exportURL: run.exportURL))
        } catch {
            return .failure(error)
        }
    }
}

extension MongoEngine: TargetEngine {
    public var databaseType: DatabaseType { .mongodb }

    public func execute(_ run: TargetRun, environment: [String: String]) async -> Result<ExecutionResult, ExecutionFailure> {
        guard case .connectionStringVariable(let variable) = run.credentials else { return .failure(.credentialsOfTheWrongKind) }
        do {
            return await execute(try Job.resolve(variable: variable.rawValue, database: run.database, script: run.text, exportURL: run.exportURL,
                                                 environment: environment))
        } catch {
            return .failure(error)
        }
    }
}
