import Crypto
import Foundation

/// Slack's side of request signing, as Slack documents it ("Verifying requests from Slack"): HMAC-SHA256 over
/// `v0:<timestamp>:<body>` keyed with the app's signing secret, in hex, after `v0=`. The stand-in signs what its
/// console sends, and the tests sign with it too. It is written apart from QueryGate's verifier on purpose: one
/// mistake made in both would let every signed test pass against a QueryGate that Slack could not talk to.
public struct SlackRequestSigner: Sendable {
    private let key: SymmetricKey

    public init(signingSecret: String) {
        key = SymmetricKey(data: Data(signingSecret.utf8))
    }

    /// The `X-Slack-Signature` header for `body` sent at `timestamp` (seconds since 1970, as a string).
    public func signature(timestamp: String, body: some Collection<UInt8>) -> String {
        var message = Array("v0:\(timestamp):".utf8)
        message.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return "v0=" + code.map { String(format: "%02x", $0) }.joined()
    }
}
