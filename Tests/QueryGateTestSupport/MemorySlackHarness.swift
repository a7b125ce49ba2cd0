import Foundation
import Hummingbird
import HummingbirdTesting
import PortalStore
import QueryGateCore
import SlackGateway

/// Slack's routes on the twins (`MemoryRequestRepository` as the `SlackDesk`, `MemoryDirectory` for the picker and
/// `/query sync`), both seeded with the `Organisation`, with the fake Slack behind them for `views.open`. No
/// database: what a route queues for the outbox is in `desk.queued`, its audit rows in `desk.audit`.
public struct MemorySlackHarness: SignedSlackRequests {
    public let desk: MemoryRequestRepository
    public let directory: MemoryDirectory
    public let fake: FakeSlack
    public let client: any TestClientProtocol
    public let signer = SlackSigner()

    public static func run(_ body: @Sendable @escaping (MemorySlackHarness) async throws -> Void) async throws {
        let desk = MemoryRequestRepository()
        try await Organisation.seed(desk)
        let directory = MemoryDirectory()
        try await Organisation.seed(directory)
        try await FakeSlack.run { fake in
            let routes = SlackRoutes(
                verifier: SlackRequestVerifier(signingSecret: SlackSigner.signingSecret), desk: desk, directory: directory,
                slack: HTTPSlackWebAPI(baseURL: fake.apiURL, token: FakeSlack.botToken, logger: AppHarness.quietLogger),
                deadline: AppHarness.patientDeadline, logger: AppHarness.quietLogger)
            let router = Router()
            routes.register(on: router)
            try await Application(router: router, logger: AppHarness.quietLogger).test(.router) { client in
                try await body(MemorySlackHarness(desk: desk, directory: directory, fake: fake, client: client))
            }
        }
    }

    public func status(of id: Int) async throws -> RequestStatus? {
        try await desk.requestDetails(id: id)?.status
    }
}
