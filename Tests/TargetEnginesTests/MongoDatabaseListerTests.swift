import Foundation
import Logging
import NIOPosix
import QueryGateCore
import QueryGateTestSupport
import Testing
@testable import TargetEngines

/// The hybrid sync's listing of a MongoDB instance: libmongoc's `listDatabases` against the wire-protocol test server.
@Suite("MongoDB database listing")
struct MongoDatabaseListerTests {
    static let lister = MongoDatabaseLister(threadPool: .singleton, logger: Logger(label: "test"))

    @Test func listsTheDatabasesThatHoldData() async throws {
        let target = MongoEngineTests.Target(engine: MongoEngineTests.engine())
        _ = try await target.run("db.orders.insertOne({ n: 1 })")
        let listing = try await Self.lister.databases(
            variable: "MONGO_SYNC_URI", environment: ["MONGO_SYNC_URI": try MongoTestServer.uri()], timeout: .seconds(10))
        let names = listing.names
        #expect(listing.serverIdentity == nil)
        #expect(names.contains(target.database), "\(names)")
        #expect(names == names.sorted())
    }

    @Test func aMissingVariableOrABadConnectionStringIsNamedWithoutItsValue() async throws {
        await #expect(throws: ExecutionFailure(message: "MONGO_SYNC_URI is not set where QueryGate runs, so the instance cannot be listed")) {
            try await Self.lister.databases(variable: "MONGO_SYNC_URI", environment: [:], timeout: .seconds(1))
        }
        do {
            _ = try await Self.lister.databases(
                variable: "MONGO_SYNC_URI", environment: ["MONGO_SYNC_URI": "postgres://admin:s3cret-pw@db.internal/orders"], timeout: .seconds(1))
            Issue.record("a bad connection string listed")
        } catch {
            #expect(error.message.hasPrefix("MONGO_SYNC_URI is not a valid MongoDB connection string"))
            #expect(!error.message.contains("s3cret-pw"))
        }
    }

    @Test func aServerThatIsDownFailsWithinTheTimeout() async throws {
        let started = ContinuousClock.now
        do {
            _ = try await Self.lister.databases(
                variable: "MONGO_SYNC_URI", environment: ["MONGO_SYNC_URI": "mongodb://admin:s3cret-pw@127.0.0.1:1/?directConnection=true"],
                timeout: .seconds(1))
            Issue.record("a closed port listed")
        } catch {
            #expect(error.message.contains("MONGO_SYNC_URI"), "\(error.message)")
            #expect(!error.message.contains("s3cret-pw"))
        }
        #expect(started.duration(to: .now) < .seconds(4))
    }
}
