import Foundation
import QueryGateTestSupport
import Testing

/// The Slack app manifest must point at routes QueryGate serves.
@Suite("The Slack app manifest")
struct ManifestTests {
    @Test func everyURLInTheManifestIsASlackRouteWeServe() async throws {
        let manifest = try String(contentsOf: Repository.root.appendingPathComponent("manifest/slack-app.yaml"), encoding: .utf8)
        let marker = "https://querygate.example.com"
        let paths = Set(manifest.components(separatedBy: marker).dropFirst().map { String($0.prefix { !$0.isWhitespace }) })
        #expect(paths == ["/slack/commands", "/slack/interactions", "/slack/events"])
        #expect(manifest.contains("command: /query"))
        // The Home tab: enabled, and published when someone opens it.
        #expect(manifest.contains("home_tab_enabled: true") && manifest.contains("- app_home_opened"))
        try await AppHarness.run { slack in
            for path in paths {
                // Unsigned: a served route refuses with 401, an unknown one would answer 404.
                let response = try await slack.post(path, body: "x=1", headers: [:])
                #expect(response.status == .unauthorized, "\(path)")
            }
        }
    }
}
