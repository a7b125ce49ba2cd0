import ArgumentParser
import Foundation
import QueryGateCore
import QueryGateTestSupport
import Synchronization
@testable import QueryGateCLI

/// Runs `querygate` subcommands in-process, exactly as parsed from a command line, against a test database.
struct CommandRunner {
    let environment: [String: String]
    let output = CapturedOutput()

    init(database: TestDatabase, extraEnvironment: [String: String] = [:]) {
        self.environment = database.environment.merging(extraEnvironment) { $1 }
    }

    /// Runs `arguments` (without the leading `querygate`) and returns the lines it printed.
    @discardableResult
    func run(_ arguments: [String]) async throws -> [String] {
        let command = try QueryGateCommand.parseAsRoot(arguments)
        guard let runnable = command as? any ContextualCommand else {
            throw ValidationError(field: "command", "\(arguments) is not a runnable command")
        }
        output.clear()
        let context = CommandContext(
            environment: environment, workingDirectory: URL(fileURLWithPath: NSTemporaryDirectory()), output: output,
            actor: .cli(osUser: "tester"))
        try await runnable.run(in: context)
        return output.lines
    }
}

final class CapturedOutput: CommandOutput {
    private let storage = Mutex<[String]>([])

    func line(_ text: String) { storage.withLock { $0.append(text) } }
    func clear() { storage.withLock { $0.removeAll() } }
    var lines: [String] { storage.withLock { $0 } }
}
