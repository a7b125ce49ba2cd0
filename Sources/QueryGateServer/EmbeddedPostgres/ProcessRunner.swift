import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion and returns its output, for the few tools QueryGate drives (initdb, pg_ctl).
///
/// posix_spawn and waitpid rather than Foundation's `Process`: on Linux, `Process.waitUntilExit()` was seen to
/// hang for good after `pg_ctl start` daemonised the server. Output goes to a temporary file, not a pipe, so a
/// daemon that inherits it cannot keep us waiting for an end of file either. These calls block their thread;
/// they run at start-up and shutdown only, before and after the server accepts requests.
enum ProcessRunner {
    struct Failure: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        let output: String
        var description: String {
            let tail = output.split(separator: "\n").suffix(5).joined(separator: "\n  ")
            return "\(command) exited with status \(status)" + (tail.isEmpty ? "" : ":\n  \(tail)")
        }
    }

    /// Runs `executable` with `arguments`; when `user` is given, as that user through `runuser` (we are root,
    /// and PostgreSQL refuses to run as root).
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String], as user: String? = nil) throws -> String {
        let argv = user.map { ["/usr/sbin/runuser", "-u", $0, "--", executable.path] + arguments } ?? [executable.path] + arguments
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("querygate-\(UUID().uuidString).log").path
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else {
            throw Failure(command: argv[0], status: -1, output: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}

        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        let exitStatus = exited ? (status >> 8) & 0xff : -1
        guard exitStatus == 0 else {
            throw Failure(command: executable.lastPathComponent + " " + (arguments.first ?? ""), status: exitStatus, output: output)
        }
        return output
    }
}
