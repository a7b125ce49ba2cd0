import HummingbirdBcrypt
import NIOPosix

/// bcrypt, which is slow on purpose, run on a thread pool so it never blocks an event loop.
public struct PasswordHasher: Sendable {
    public static let minimumLength = 12
    /// bcrypt reads no further: two passwords equal in their first 72 bytes would match each other.
    public static let maximumBytes = 72

    let threadPool: NIOThreadPool
    let cost: UInt8
    /// Compared against when the account does not exist, so that a sign-in takes as long either way and its
    /// timing does not tell whether the e-mail address is known.
    private let decoy: String

    public init(threadPool: NIOThreadPool, cost: UInt8) async throws {
        self.threadPool = threadPool
        self.cost = cost
        self.decoy = try await threadPool.runIfActive { Bcrypt.hash("querygate-decoy-password", cost: cost) }
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await threadPool.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Checks `password` against `hash`; with no hash, spends the same time and says no.
    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        let decoy = self.decoy
        return try await threadPool.runIfActive {
            let matches = Bcrypt.verify(password, hash: hash ?? decoy)
            return hash != nil && matches
        }
    }
}
