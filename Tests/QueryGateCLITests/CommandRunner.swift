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
    func run(_ arguments: [String], input: ScriptedInput = ScriptedInput()) async throws -> [String] {
        let command = try QueryGateCommand.parseAsRoot(arguments)
        guard let runnable = command as? any ContextualCommand else {
            throw ValidationError(field: "command", "\(arguments) is not a runnable command")
        }
        output.clear()
        let context = CommandContext(
            environment: environment, workingDirectory: URL(fileURLWithPath: NSTemporaryDirectory()), output: output, input: input,
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

/// Answers a command's questions from a script: `lines` for standard input, `secrets` for the terminal prompts
/// (none means there is no terminal).
final class ScriptedInput: CommandInput {
    private let remaining: Mutex<(lines: [String], secrets: [String], prompts: [String])>

    init(lines: [String] = [], secrets: [String] = []) {
        remaining = Mutex((lines, secrets, []))
    }

    func readLine() -> String? {
        remaining.withLock { $0.lines.isEmpty ? nil : $0.lines.removeFirst() }
    }

    func readSecret(prompt: String) -> String? {
        remaining.withLock {
            $0.prompts.append(prompt)
            return $0.secrets.isEmpty ? nil : $0.secrets.removeFirst()
        }
    }

    var prompts: [String] { remaining.withLock { $0.prompts } }
}
