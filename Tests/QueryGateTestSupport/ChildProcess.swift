import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A program started by a test, such as the `querygate` binary itself, with its standard output and error in
/// a file the test can read while it runs.
///
/// posix_spawn and waitpid rather than Foundation's `Process`, whose `waitUntilExit()` was seen to hang on
/// Linux once a grandchild (the embedded PostgreSQL) had daemonised.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let outputPath: String
    /// Set once the process has been reaped, after which its pid may belong to somebody else.
    private let reaped = Mutex(false)

    /// Starts `arguments[0]` with exactly `environment` (nothing inherited), in `directory`, reading the file
    /// `standardInput`.
    public init(_ arguments: [String], environment: [String: String], directory: URL, standardInput: String = "/dev/null") throws {
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("qg-child-\(UUID().uuidString).log").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, standardInput, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        // Glibc's addchdir_np is not visible from Swift; env(1) changes directory instead.
        let arguments = ["/usr/bin/env", "-C", directory.path] + arguments
        var argv = arguments.map { strdup($0) } + [nil]
        var envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, arguments[0], &actions, nil, &argv, &envp)
        guard result == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL)
        }
        self.pid = pid
    }

    /// Everything the program has written so far.
    public var output: String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    public func signal(_ signal: Int32 = SIGTERM) {
        reaped.withLock { reaped in
            if !reaped { kill(pid, signal) }
        }
    }

    /// Waits for the program to end, at most `timeout`, and returns its exit status (nil if it did not end, in
    /// which case it is killed).
    public func waitForExit(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                reaped.withLock { $0 = true }
                return status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        reaped.withLock { $0 = true }
        return nil
    }

    /// Waits until the output contains `text`, at most `timeout`.
    public func waitForOutput(containing text: String, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    deinit {
        unlink(outputPath)
    }

    /// The `querygate` executable that `swift test` built beside the test bundle.
    public static var querygateExecutable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("querygate").path
    }
}
