import Foundation
import HummingbirdTesting
import QueryGateTestSupport
import Testing

/// The real `querygate` binary, as an operator starts it.
@Suite("The querygate binary")
struct BinaryTests {
    static var baseEnvironment: [String: String] {
        ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
    }

    @Test("A bad setting stops start-up with one line that names it, and never echoes the value", arguments: [
        ("JWT_SECRET", "short-secret-value", "querygate: configuration error: JWT_SECRET must be at least 32 bytes long (it is 18); generate one with `openssl rand -base64 48`"),
        ("QUERYGATE_PORT", "eighty", "querygate: configuration error: QUERYGATE_PORT must be a port number from 0 to 65535"),
        ("PORTAL_DB_NAME", "portal_db", "querygate: configuration error: PORTAL_DB_HOST is not set, but PORTAL_DB_NAME is: set PORTAL_DB_HOST to use that server, or unset every PORTAL_DB_* variable to use the embedded database"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token-value", "querygate: configuration error: SLACK_BOT_TOKEN must be a bot token (it starts with xoxb-; find it under OAuth & Permissions in the Slack app)"),
    ])
    func configurationErrors(variable: String, value: String, expected: String) async throws {
        let directory = try Scratch.directory()
        defer { Scratch.remove(directory) }
        let process = try ChildProcess(
            [ChildProcess.querygateExecutable, "serve"], environment: Self.baseEnvironment.merging([variable: value]) { $1 },
            directory: directory)
        #expect(await process.waitForExit() == 78)
        #expect(process.output == expected + "\n")
        #expect(!process.output.contains(value))
    }

    /// The README's run command, with no configuration at all: the embedded PostgreSQL, migrated, serving.
    @Test(.timeLimit(.minutes(10)))
    func servesHealthWithNoConfigurationAtAllUsingTheEmbeddedDatabase() async throws {
        let directory = try Scratch.directory()
        defer { Scratch.remove(directory) }
        let dataDirectory = directory.appendingPathComponent("qg")
        let process = try ChildProcess(
            [ChildProcess.querygateExecutable, "serve"],
            environment: Self.baseEnvironment.merging(["QUERYGATE_PORT": "0", "QUERYGATE_DATA_DIR": dataDirectory.path]) { $1 },
            directory: directory)

        let listening = await process.waitForOutput(containing: "Server started and listening on")
        #expect(listening, "\(process.output)")
        guard listening, let port = Self.port(in: process.output) else {
            process.signal(SIGKILL)
            return
        }
        #expect(process.output.contains("No PORTAL_DB_HOST is set: using QueryGate's embedded PostgreSQL"))
        #expect(process.output.contains("004_refresh_tokens"))
        // The workers start once the schema exists, not beside the migrations.
        #expect(!process.output.contains("could not claim a request"), "\(process.output)")
        #expect(!process.output.contains("could not sweep"), "\(process.output)")

        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            let health = try await client.get("/healthz")
            #expect(health.head.status == .ok)
            #expect(health.body.map { String(buffer: $0) } == #"{"status":"ok"}"#)
            let ready = try await client.get("/readyz")
            #expect(ready.head.status == .ok)
            #expect(ready.body.map { String(buffer: $0) } == #"{"status":"ready"}"#)
        }

        process.signal(SIGTERM)
        #expect(await process.waitForExit() == 0)
        #expect(process.output.contains("stopped the embedded PostgreSQL"))
        #expect(!FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("postgres/postmaster.pid").path))
    }

    static func port(in output: String) -> Int? {
        guard let range = output.range(of: "listening on 127.0.0.1:") else { return nil }
        return Int(output[range.upperBound...].prefix { $0.isNumber })
    }
}

enum Scratch {
    /// A short path: the embedded server's Unix socket path must fit in 108 bytes.
    static func directory() throws -> URL {
        let url = URL(fileURLWithPath: "/tmp/qg-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return url
    }

    static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }
}
