import Foundation

/// The MongoDB wire-protocol test server `scripts/test` starts (MockupDB answering, mongomock storing; see
/// Tests/MongoTestServer). Production targets real MongoDB; the tests run the real driver against this.
public enum MongoTestServer {
    public struct Missing: Error, CustomStringConvertible {
        public let description = "QUERYGATE_TEST_MONGO_URI is not set: run the tests with scripts/test"
    }

    /// The connection string, with a short server-selection timeout.
    public static func uri() throws -> String {
        guard let uri = ProcessInfo.processInfo.environment["QUERYGATE_TEST_MONGO_URI"], !uri.isEmpty else { throw Missing() }
        return uri
    }

    /// A database name no other test uses, so that tests share no data.
    public static func freshDatabaseName() -> String {
        "qg_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    }
}
