import Crypto
import Foundation
import JWTKit
import QueryGateCore

/// Access tokens (JWT, HS256, short-lived) and refresh tokens (opaque, random, stored only as a SHA-256 hash).
public struct TokenService: Sendable {
    /// The claims of an access token: who (`sub`), which session (`sid`), when issued and until when.
    struct AccessClaims: JWTPayload, Equatable {
        var sub: SubjectClaim
        var sid: String
        var iat: IssuedAtClaim
        var exp: ExpirationClaim

        func verify(using algorithm: some JWTAlgorithm) throws {
            try exp.verifyNotExpired()
        }
    }

    let keys: JWTKeyCollection
    public let accessLifetime: Duration
    public let refreshLifetime: Duration

    /// - Parameter secret: `JWT_SECRET`, at least 32 bytes (checked when the configuration is read).
    public init(secret: String, accessLifetime: Duration, refreshLifetimeDays: Int) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.accessLifetime = accessLifetime
        self.refreshLifetime = .seconds(refreshLifetimeDays * 86_400)
    }

    func accessToken(userID: Int, session: UUID, now: Date = Date()) async throws -> String {
        try await keys.sign(AccessClaims(
            sub: SubjectClaim(value: String(userID)), sid: session.uuidString, iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(accessLifetime.timeInterval))))
    }

    /// The claims of a token whose signature (HS256 with our key, and no other algorithm) and expiry hold; nil
    /// for anything else, whatever it claims.
    func verify(_ token: String) async -> (userID: Int, session: UUID)? {
        guard let claims = try? await keys.verify(token, as: AccessClaims.self),
              let userID = Int(claims.sub.value), let session = UUID(uuidString: claims.sid)
        else { return nil }
        return (userID, session)
    }

    /// A new refresh token and the hash that is stored for it.
    static func newRefreshToken() -> (token: String, hash: String) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let token = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return (token, hash(token))
    }

    static func hash(_ refreshToken: String) -> String {
        SHA256.hash(data: Data(refreshToken.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
