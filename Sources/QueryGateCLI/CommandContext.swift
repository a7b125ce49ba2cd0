import ArgumentParser
import Foundation
import Logging
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateServer

/// What a command needs from the world: the environment it reads its configuration from, where it writes,
/// and who is acting. The binary uses `current()`; tests make their own, pointing at their own database.
public struct CommandContext: Sendable {
    public var environment: [String: String]
    public var workingDirectory: URL
    public var output: any CommandOutput
    public var input: any CommandInput
    public var actor: AuditActor

    public init(
        environment: [String: String], workingDirectory: URL, output: any CommandOutput, input: any CommandInput = TerminalInput(),
        actor: AuditActor
    ) {
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.output = output
        self.input = input
        self.actor = actor
    }

    /// The process's own environment and standard output; the actor is the operating-system user (the person
    /// behind `sudo` when there is one), so the audit log says who ran the command.
    public static func current() -> CommandContext {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["SUDO_USER"].flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.userName
        return CommandContext(
            environment: environment,
            workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true),
            output: StandardOutput(),
            actor: .cli(osUser: user))
    }

    public func configuration() throws -> QueryGateConfiguration {
        try QueryGateConfiguration.load(environment: environment, workingDirectory: workingDirectory)
    }

    /// A logger for commands: quiet unless something fails, so that their output is what they print (their own
    /// failures reach the operator as the error they throw).
    func logger(for configuration: QueryGateConfiguration, defaultLevel: Logger.Level = .error) -> Logger {
        var logger = Logger(label: "querygate")
        logger.logLevel = environment["QUERYGATE_LOG_LEVEL"] == nil ? defaultLevel : configuration.logLevel
        return logger
    }

    public func migrations(_ configuration: QueryGateConfiguration, override: String? = nil) throws -> [Migration] {
        let directory = override.map { URL(fileURLWithPath: $0, isDirectory: true, relativeTo: workingDirectory) }
            ?? configuration.migrationsDirectory
            ?? MigrationDirectory.locate(workingDirectory: workingDirectory)
        guard let directory else {
            throw QueryGateCore.ValidationError(
                field: "migrations-dir",
                "cannot find the Migrations folder: run from the QueryGate checkout, or set QUERYGATE_MIGRATIONS_DIR")
        }
        return try MigrationDirectory.load(from: directory)
    }

    /// Runs `body` against the configured portal database. The embedded database is started if needed (and
    /// stopped again if this command started it) and kept migrated, so administration works before `serve`.
    func withStore<Result: Sendable>(_ body: @Sendable (PortalStore) async throws -> Result) async throws -> Result {
        let configuration = try configuration()
        let logger = logger(for: configuration)
        let database = try await PortalDatabase.open(configuration, logger: logger)
        defer { database.close() }
        let migrations = database.isEmbedded ? try self.migrations(configuration) : []
        return try await database.withClient(logger: logger) { client in
            if !migrations.isEmpty {
                _ = try await MigrationRunner(client: client, logger: logger).migrate(migrations)
            }
            return try await body(PortalStore(client: client, logger: logger))
        }
    }
}

/// Where commands write what they have to say.
public protocol CommandOutput: Sendable {
    func line(_ text: String)
}

struct StandardOutput: CommandOutput {
    func line(_ text: String) { print(text) }
}

/// A command that runs in a `CommandContext`. Its `run()` uses the process's context and turns every error
/// into one line on standard error and an exit status, never a stack trace.
protocol ContextualCommand: AsyncParsableCommand {
    func run(in context: CommandContext) async throws
}

extension ContextualCommand {
    public func run() async throws {
        do {
            try await run(in: .current())
        } catch let error as ExitCode {
            throw error
        } catch {
            let failure = CommandFailure(error)
            FileHandle.standardError.write(Data("querygate: \(failure.message)\n".utf8))
            throw ExitCode(failure.exitCode)
        }
    }
}
