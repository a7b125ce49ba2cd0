import Foundation
import PortalStore
import QueryGateCore
import QueryGateTestSupport
import Testing

/// Two `querygate serve` replicas share a portal database; the one running a request is killed with SIGKILL. The
/// other declares the request interrupted within the lease plus one sweep, and never runs it again.
@Suite("A replica killed mid-request")
struct ReplicaKillTests {
    static let lease = 3

    @Test(.timeLimit(.minutes(2)))
    func theOtherReplicaDeclaresTheRequestInterruptedWithinTheBound() async throws {
        try await TestDatabase.withTarget { target in
        try await TestDatabase.withMigrated { database in
            let store = database.store
            try await Organisation.seed(store)
            try await store.addDatabase(instance: InstanceName("pg-main"), name: DatabaseName(target.name), description: nil, by: .system)
            let dev = try #require(try await store.user(slackUserID: Organisation.SlackIDs.dev))
            let maria = try #require(try await store.user(slackUserID: Organisation.SlackIDs.maria))
            let submitted = try await store.submit(
                try NewRequest(target: "pg-main/\(target.name)", queryText: "SELECT pg_sleep(60)", reason: "kill ticket", submissionType: .query),
                by: dev, via: .slack)
            _ = try await store.approve(requestID: submitted.id, by: maria, via: .slack)

            let directory = try Scratch.directory()
            defer { Scratch.remove(directory) }
            let environment = BinaryTests.baseEnvironment.merging(database.environment) { $1 }.merging([
                "QUERYGATE_PORT": "0", "QUERYGATE_EXECUTOR_LEASE": "\(Self.lease)s", "PG_INSTANCE_1_HOST": target.server.host,
                "PG_INSTANCE_1_PORT": String(target.server.port), "PG_INSTANCE_1_USER": target.server.user,
                "PG_INSTANCE_1_PASSWORD": target.server.password,
            ]) { $1 }
            let first = try ChildProcess([ChildProcess.querygateExecutable, "serve"], environment: environment, directory: directory)
            defer { first.signal(SIGKILL) }
            for _ in 0..<300 where try await store.requestDetails(id: submitted.id)?.status != .executing {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await store.requestDetails(id: submitted.id)?.status == .executing, "\(first.output)")
            // The second replica is up before the first dies, as in a deployment.
            let second = try ChildProcess([ChildProcess.querygateExecutable, "serve"], environment: environment, directory: directory)
            defer { second.signal(SIGKILL) }
            #expect(await second.waitForOutput(containing: "Server started and listening on"), "\(second.output)")

            first.signal(SIGKILL)
            let killed = ContinuousClock.now
            for _ in 0..<600 where try await store.requestDetails(id: submitted.id)?.status == .executing {
                try await Task.sleep(for: .milliseconds(50))
            }
            let declared = killed.duration(to: .now)
            let request = try #require(try await store.requestDetails(id: submitted.id))
            #expect(request.status == .failed)
            #expect(request.outcome == .failed(.interrupted))
            // The lease, one sweep interval (2 s) and fifteen seconds of slack for a loaded machine: on a 2-core VM
            // whose debug builds run beside the other timed tests, 6.8 to 10.4 s were measured (December 2026; 10.4 in
            // a fresh-clone CI run, past the five seconds of slack this bound had). The figure itself is printed below
            // and is a benchmark's to judge; this bound only catches a replica that never sweeps, or sweeps rarely.
            #expect(declared < .seconds(Self.lease + 2 + 15), "declared interrupted \(declared) after the kill")
            print("fault timing: a killed replica's request was declared interrupted \(declared) after SIGKILL (lease \(Self.lease) s)")
            #expect(second.output.contains("requests interrupted"), "\(second.output)")
            second.signal(SIGTERM)
            #expect(await second.waitForExit() == 0)
        }
        }
    }
}
