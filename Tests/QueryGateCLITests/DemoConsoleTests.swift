import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import QueryGateTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `querygate demo` as a newcomer runs it: the real binary, its embedded PostgreSQL in a scratch folder, the Slack
/// stand-in and the console on a loopback port. The browser tests drive the console in headless Chromium and
/// Firefox (`Tests/ConsoleBrowserTests/console_flows.py`); they run when `scripts/test` has prepared the browsers
/// (`QUERYGATE_TEST_BROWSER_PYTHON`, `QUERYGATE_TEST_FIREFOX`).
@Suite("querygate demo and its console", .serialized)
struct DemoConsoleTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let browserPython = ProcessInfo.processInfo.environment["QUERYGATE_TEST_BROWSER_PYTHON"]
    static let developer = "U0DEMODEV1"

    @Test("A second start reuses the first one's setup; the console sends a signed /query and shows the approval message", .timeLimit(.minutes(3)))
    func startsReusesAndDrivesQueryGate() async throws {
        let directory = try Scratch.directory()
        defer { Scratch.remove(directory) }
        let port = try Self.freePort()
        let base = "http://127.0.0.1:\(port)"

        let first = try Self.startDemo(port: port, in: directory)
        #expect(await first.waitForOutput(containing: "open \(base)/console"), "\(first.output)")
        #expect(first.output.contains("created the sample pod, people and database"), "\(first.output)")

        let page = try await Self.request("\(base)/console")
        #expect(page.status == 200)
        #expect(page.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)
        #expect(page.body.contains("/console/console.js"))
        // The rest of QueryGate keeps its deny-all policy.
        #expect(try await Self.request("\(base)/healthz").headers.first(name: "Content-Security-Policy") == "default-src 'none'; frame-ancestors 'none'")
        // A page elsewhere cannot drive the console: not under another Host name, not with a form post.
        #expect(try await Self.request("\(base)/console/state?as=\(Self.developer)", host: "attacker.example:\(port)").status == 421)
        #expect(try await Self.request("\(base)/console/command", body: "{}", contentType: "text/plain").status == 415)
        let stranger = try await Self.request("\(base)/console/command", body: #"{"as": "U0NOBODY1", "channel": "C0DEMOSHOP", "text": "help"}"#)
        #expect(stranger.status == 400)

        let command = #"{"as": "\#(Self.developer)", "channel": "C0DEMOSHOP", "text": "demo/shop Counting ```SELECT count(*) FROM customers```"}"#
        #expect(try await Self.request("\(base)/console/command", body: command).status == 200)
        var state = ""
        for _ in 0..<100 {
            state = try await Self.request("\(base)/console/state?as=\(Self.developer)").body
            if state.contains("Query request #1") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state.contains("Query request #1"), "\(state.prefix(2000))")
        #expect(state.contains("request.approve"))
        #expect(state.contains(#""refusals":[]"#), "the stand-in refused a call: \(state.suffix(1500))")

        first.signal(SIGTERM)
        #expect(await first.waitForExit() == 0, "\(first.output)")
        let second = try Self.startDemo(port: port, in: directory)
        defer { second.signal(SIGKILL) }
        #expect(await second.waitForOutput(containing: "open \(base)/console"), "\(second.output)")
        #expect(second.output.contains("reusing the sample setup"), "\(second.output)")
        let status = #"{"as": "\#(Self.developer)", "channel": "C0DEMOSHOP", "text": "status 1"}"#
        #expect(try await Self.request("\(base)/console/command", body: status).status == 200)
        #expect(try await Self.request("\(base)/console/state?as=\(Self.developer)").body.contains("Counting"))
        second.signal(SIGTERM)
        #expect(await second.waitForExit() == 0)
    }

    static let browsers = ["chromium"] + (ProcessInfo.processInfo.environment["QUERYGATE_TEST_FIREFOX"] != nil ? ["firefox"] : [])

    @Test("In a browser: the developer submits, the manager approves, the thread shows the rows",
          .enabled(if: browserPython != nil, "scripts/test prepares the browser"), .timeLimit(.minutes(3)), arguments: browsers)
    func approveInTheBrowser(_ browser: String) async throws {
        let output = try await Self.runBrowserFlow("approve", in: browser)
        #expect(output.contains("PASS approve in \(browser): request #1 approved"), "\(output)")
    }

    @Test("In a browser: the manager rejects through the modal, whose empty reason is refused under the field",
          .enabled(if: browserPython != nil, "scripts/test prepares the browser"), .timeLimit(.minutes(3)), arguments: browsers)
    func rejectInTheBrowser(_ browser: String) async throws {
        let output = try await Self.runBrowserFlow("reject", in: browser)
        #expect(output.contains("PASS reject in \(browser): request #1 rejected through the modal (an empty reason was refused"), "\(output)")
    }

    @Test("In a browser: the manager approves from the Home tab, and the developer's tab shows the request completed",
          .enabled(if: browserPython != nil, "scripts/test prepares the browser"), .timeLimit(.minutes(3)), arguments: browsers)
    func approveFromTheHomeTabInTheBrowser(_ browser: String) async throws {
        let output = try await Self.runBrowserFlow("home", in: browser)
        #expect(output.contains("PASS home in \(browser): request #1 approved from the manager's Home tab"), "\(output)")
    }

    // MARK: - Helpers

    static func runBrowserFlow(_ flow: String, in browserName: String) async throws -> String {
        let python = try #require(browserPython)
        let directory = try Scratch.directory()
        defer { Scratch.remove(directory) }
        let port = try freePort()
        let demo = try startDemo(port: port, in: directory)
        defer { demo.signal(SIGKILL) }
        #expect(await demo.waitForOutput(containing: "/console"), "\(demo.output)")
        let script = sources.appendingPathComponent("Tests/ConsoleBrowserTests/console_flows.py").path
        let browser = try ChildProcess([python, script, "http://127.0.0.1:\(port)", flow, "--browser", browserName],
                                       environment: BinaryTests.baseEnvironment.merging(["SE_OFFLINE": "true"]) { $1 }, directory: directory)
        let status = await browser.waitForExit(timeout: .seconds(120))
        #expect(status == 0, "the browser flow ended with \(String(describing: status)); demo log:\n\(demo.output.suffix(3000))")
        demo.signal(SIGTERM)
        _ = await demo.waitForExit()
        return browser.output
    }

    static func startDemo(port: Int, in directory: URL) throws -> ChildProcess {
        let environment = BinaryTests.baseEnvironment.merging([
            "QUERYGATE_MIGRATIONS_DIR": sources.appendingPathComponent("Migrations").path,
            // What scripts/test exports for the other tests must not reach the demo, which keeps its own database.
            "PORTAL_DB_HOST": "127.0.0.1", "PORTAL_DB_PORT": "1",
        ]) { $1 }
        return try ChildProcess([ChildProcess.querygateExecutable, "demo", "--port", String(port), "--data-dir", directory.appendingPathComponent("d").path],
                                environment: environment, directory: directory)
    }

    struct Answer {
        let status: UInt
        let headers: HTTPHeaders
        let body: String
    }

    static func request(_ url: String, body: String? = nil, contentType: String = "application/json", host: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        if let host { request.headers.replaceOrAdd(name: "Host", value: host) }
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: response.status.code, headers: response.headers, body: String(buffer: bytes))
    }

    /// A loopback port nobody listens on now: bound to port 0, read back, released.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
