import Foundation
import Hummingbird
import HummingbirdTesting
import QueryGateTestSupport
import SlackGateway
import SlackStandIn
import Testing

@Suite("Verifying requests from Slack")
struct RequestVerificationTests {
    struct Vector: Decodable {
        let signing_secret: String
        let timestamp: String
        let body: String
        let expected_signature: String
    }

    static func slacksVector() throws -> Vector {
        // Slack's published example (docs: Verifying requests from Slack), copied from shared/slack/ so the tests
        // need nothing outside the checkout.
        let url = Repository.root.appendingPathComponent("Tests/Fixtures/slack-signing-vector.json")
        return try JSONDecoder().decode(Vector.self, from: Data(contentsOf: url))
    }

    @Test func slacksOwnTestVectorVerifiesWithAClockSetToItsTime() throws {
        let vector = try Self.slacksVector()
        let then = Date(timeIntervalSince1970: TimeInterval(vector.timestamp)! + 12)
        let verifier = SlackRequestVerifier(signingSecret: vector.signing_secret, now: { then })
        #expect(verifier.signature(timestamp: vector.timestamp, body: Array(vector.body.utf8)) == vector.expected_signature)
        #expect(throws: Never.self) {
            try verifier.verify(timestamp: vector.timestamp, signature: vector.expected_signature, body: Array(vector.body.utf8))
        }
    }

    /// The tests sign with the stand-in's signer, written from Slack's documentation apart from the verifier.
    @Test func theStandInSignsSlacksVectorAsSlackDoes() throws {
        let vector = try Self.slacksVector()
        let signer = SlackRequestSigner(signingSecret: vector.signing_secret)
        #expect(signer.signature(timestamp: vector.timestamp, body: Array(vector.body.utf8)) == vector.expected_signature)
        #expect(signer.signature(timestamp: vector.timestamp, body: Array((vector.body + "&x=1").utf8)) != vector.expected_signature)
    }

    @Test func theVectorIsRefusedTodayBecauseItIsFrom2018() throws {
        let vector = try Self.slacksVector()
        let verifier = SlackRequestVerifier(signingSecret: vector.signing_secret)
        #expect(throws: SlackRequestVerifier.Refusal.self) {
            try verifier.verify(timestamp: vector.timestamp, signature: vector.expected_signature, body: Array(vector.body.utf8))
        }
    }

    @Test func eachKindOfTamperingIsRefusedForItsOwnReason() throws {
        let vector = try Self.slacksVector()
        let then = Date(timeIntervalSince1970: TimeInterval(vector.timestamp)!)
        let verifier = SlackRequestVerifier(signingSecret: vector.signing_secret, now: { then })
        let body = Array(vector.body.utf8)
        func refusal(_ timestamp: String?, _ signature: String?, _ body: [UInt8]) -> SlackRequestVerifier.Refusal? {
            do {
                try verifier.verify(timestamp: timestamp, signature: signature, body: body)
                return nil
            } catch {
                return error
            }
        }
        #expect(refusal(vector.timestamp, vector.expected_signature, body + Array("&x=1".utf8)) == .signatureMismatch)
        #expect(refusal(vector.timestamp, "v0=" + String(repeating: "0", count: 64), body) == .signatureMismatch)
        #expect(refusal(nil, vector.expected_signature, body) == .missingTimestamp)
        #expect(refusal(vector.timestamp, nil, body) == .missingSignature)
        #expect(refusal("1531420618.5", vector.expected_signature, body) == .malformedTimestamp)
        #expect(refusal(vector.timestamp, "v1=" + vector.expected_signature.dropFirst(3), body) == .malformedSignature)
        #expect(refusal(vector.timestamp, "v0=abc", body) == .malformedSignature)
        #expect(refusal(String(Int(vector.timestamp)! - 301), vector.expected_signature, body) == .staleTimestamp(secondsOff: 301))
        #expect(refusal(String(Int(vector.timestamp)! + 301), vector.expected_signature, body) == .staleTimestamp(secondsOff: -301))
        let other = SlackRequestVerifier(signingSecret: "another-secret", now: { then })
        #expect(throws: SlackRequestVerifier.Refusal.signatureMismatch) {
            try other.verify(timestamp: vector.timestamp, signature: vector.expected_signature, body: body)
        }
    }

    @Test func refusedRequestsGet401AndChangeNothing() async throws {
        try await AppHarness.run { slack in
            let body = SlackSigner.slashCommandBody(text: "pg-main/customer_db why ```SELECT 1```", user: AppHarness.People.dev)
            let good = slack.signer.headers(for: body)
            let stale = slack.signer.headers(for: body, at: Date().addingTimeInterval(-330))
            let future = slack.signer.headers(for: body, at: Date().addingTimeInterval(330))
            let wrongSecret = SlackRequestVerifier(signingSecret: "not-the-secret").signature(timestamp: good.timestamp, body: Array(body.utf8))
            let attempts: [(String, HTTPFields, String)] = [
                ("tampered body", [SlackHeaders.timestamp: good.timestamp, SlackHeaders.signature: good.signature], body + "x"),
                ("wrong secret", [SlackHeaders.timestamp: good.timestamp, SlackHeaders.signature: wrongSecret], body),
                ("stale", [SlackHeaders.timestamp: stale.timestamp, SlackHeaders.signature: stale.signature], body),
                ("future", [SlackHeaders.timestamp: future.timestamp, SlackHeaders.signature: future.signature], body),
                ("no signature", [SlackHeaders.timestamp: good.timestamp], body),
                ("no timestamp", [SlackHeaders.signature: good.signature], body),
                ("no headers", [:], body),
            ]
            for (name, headers, sentBody) in attempts {
                for path in ["/slack/commands", "/slack/interactions", "/slack/events"] {
                    let response = try await slack.post(path, body: sentBody, headers: headers)
                    #expect(response.status == .unauthorized, "\(name) on \(path)")
                    #expect(String(buffer: response.body) == "invalid Slack request signature\n")
                }
            }
            #expect(try await slack.store.recentRequests(ofUser: 1).isEmpty)
            #expect(try await slack.store.outboxCounts() == (0, 0, 0))
            #expect(await slack.fake.recorder.calls.isEmpty)
        }
    }

    @Test func oversizedBodiesGet413BeforeBeingReadWhole() async throws {
        try await AppHarness.run { slack in
            let body = "text=" + String(repeating: "a", count: SlackRoutes.maximumBodySize + 1)
            let response = try await slack.post("/slack/commands", body: body)
            #expect(response.status == .contentTooLarge)
        }
    }

    @Test func sslChecksAndURLVerificationAreAnswered() async throws {
        try await AppHarness.run { slack in
            let ssl = try await slack.post("/slack/commands", body: "ssl_check=1&token=x&user_id=U0DEV0001&channel_id=C1")
            #expect(ssl.status == .ok)
            #expect(ssl.body.readableBytes == 0)
            let challenge = try await slack.post("/slack/events", body: #"{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","token":"x"}"#)
            #expect(String(buffer: challenge.body) == #"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#)
        }
    }
}
