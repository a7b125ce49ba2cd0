import Crypto
import Foundation
import Logging

/// Checks that a request comes from Slack: v0 HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing
/// secret, compared in constant time, within five minutes of now either way
/// (https://api.slack.com/authentication/verifying-requests-from-slack).
///
/// It looks at the raw bytes only: nothing of the body is parsed before it has passed.
public struct SlackRequestVerifier: Sendable {
    /// Why a request was refused, for the log line (never the secret, never the signature).
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case missingTimestamp
        case malformedTimestamp
        case staleTimestamp(secondsOff: Int)
        case missingSignature
        case malformedSignature
        case signatureMismatch

        public var description: String {
            switch self {
            case .missingTimestamp: "no X-Slack-Request-Timestamp header"
            case .malformedTimestamp: "X-Slack-Request-Timestamp is not a number"
            case .staleTimestamp(let seconds): "timestamp is \(seconds) s from now (limit 300)"
            case .missingSignature: "no X-Slack-Signature header"
            case .malformedSignature: "X-Slack-Signature is not v0= and 64 hex digits"
            case .signatureMismatch: "signature does not match the body"
            }
        }
    }

    public static let tolerance: Int64 = 5 * 60

    private let key: SymmetricKey
    private let now: @Sendable () -> Date

    /// - Parameter now: The clock; tests inject one to check Slack's 2018 test vector.
    public init(signingSecret: String, now: @escaping @Sendable () -> Date = Date.init) {
        self.key = SymmetricKey(data: Data(signingSecret.utf8))
        self.now = now
    }

    public func verify(timestamp: String?, signature: String?, body: some Collection<UInt8>) throws(Refusal) {
        guard let timestamp else { throw .missingTimestamp }
        guard let seconds = Int64(timestamp), timestamp.utf8.allSatisfy({ (48...57).contains($0) }) else { throw .malformedTimestamp }
        let offset = Int64(now().timeIntervalSince1970) - seconds
        guard abs(offset) <= Self.tolerance else { throw .staleTimestamp(secondsOff: Int(clamping: offset)) }
        guard let signature else { throw .missingSignature }
        guard signature.hasPrefix("v0="), let mac = Self.bytes(fromHex: signature.dropFirst(3)), mac.count == 32 else {
            throw .malformedSignature
        }
        var signed = Data("v0:\(timestamp):".utf8)
        signed.append(contentsOf: body)
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signed, using: key) else { throw .signatureMismatch }
    }

    /// The signature Slack would send: what tests sign their requests with.
    public func signature(timestamp: String, body: some Collection<UInt8>) -> String {
        var signed = Data("v0:\(timestamp):".utf8)
        signed.append(contentsOf: body)
        return "v0=" + HMAC<SHA256>.authenticationCode(for: signed, using: key).map { String(format: "%02x", $0) }.joined()
    }

    private static func bytes(fromHex hex: Substring) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
