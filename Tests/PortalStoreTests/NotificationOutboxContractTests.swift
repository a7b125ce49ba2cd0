import Foundation
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import Testing

/// The Slack outbox's claims and records, once on PostgreSQL (`PortalStore`) and once on the in-memory twin
/// (`MemoryNotificationOutbox`), with the same assertions: the twin that the worker's tests use without a database
/// must claim, lease and record as the SQL does. The memory run opens no database connection.
///
/// Leases and delays are a second or less, so that a story takes a moment; the margins around them are wide
/// enough for a loaded machine.
@Suite("The outbox: one contract, two stores")
struct NotificationOutboxContractTests {
    typealias Message = PortalStore.OutboxMessage

    /// A notification as the stories read it back: the columns of `slack_notifications` that a record changes.
    struct Row: Equatable, CustomStringConvertible {
        var status: String
        var attempts: Int
        var lastError: String?
        var channelID: String?
        var messageTS: String?
        var claimedBy: String?

        var description: String { "\(status), \(attempts) attempts, error \(lastError ?? "-"), channel \(channelID ?? "-"), ts \(messageTS ?? "-"), claimed by \(claimedBy ?? "-")" }
    }

    /// What a story needs: the outbox, a way to queue a notification as the store's transactions do, and its row.
    struct Door: Sendable {
        let outbox: any NotificationOutbox
        let enqueue: @Sendable (_ type: NotificationType, _ recipient: String, _ parentID: Int?, _ channelID: String?, _ payload: [String: String]) async throws -> Int
        let row: @Sendable (Int) async throws -> Row?

        /// An ephemeral message: it needs no request, so either store takes it as it is.
        func ephemeral(_ text: String, to user: String = "U0DEV0001") async throws -> Int {
            try await enqueue(.ephemeral, user, nil, "C0PAYMENTS", ["text": text])
        }

        func claim(_ worker: String, lease: Duration = .seconds(30)) async throws -> Message? {
            try await outbox.claimNextNotification(workerID: worker, lease: lease)
        }

        func record(_ result: PortalStore.DeliveryResult, of message: Message, by worker: String, maxAttempts: Int = 12) async throws {
            try await outbox.recordDelivery(result, of: message, workerID: worker, maxAttempts: maxAttempts)
        }
    }

    typealias Store = ContractStore

    static func withDoor(_ store: Store, _ body: @escaping @Sendable (Door) async throws -> Void) async throws {
        switch store {
        case .postgres:
            try await TestDatabase.withMigrated { database in
                try await body(Door(
                    outbox: database.store,
                    enqueue: { type, recipient, parentID, channelID, payload in
                        let json = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
                        let rows = try await database.client.query(
                            """
                            INSERT INTO slack_notifications (notification_type, recipient, parent_id, channel_id, payload)
                            VALUES (\(type.rawValue), \(recipient), \(parentID), \(channelID), \(json)::jsonb)
                            RETURNING id
                            """, logger: database.server.logger)
                        return try #require(try await rows.decode(Int.self).first { _ in true })
                    },
                    row: { id in
                        let rows = try await database.client.query(
                            """
                            SELECT status, attempts, last_error, channel_id, message_ts, claimed_by FROM slack_notifications
                            WHERE id = \(id)
                            """, logger: database.server.logger)
                        return try await rows.decode((String, Int, String?, String?, String?, String?).self).first { _ in true }.map {
                            Row(status: $0.0, attempts: $0.1, lastError: $0.2, channelID: $0.3, messageTS: $0.4, claimedBy: $0.5)
                        }
                    }))
            }
        case .memory:
            let outbox = MemoryNotificationOutbox()
            try await body(Door(
                outbox: outbox,
                enqueue: { type, recipient, parentID, channelID, payload in
                    await outbox.enqueue(type, recipient: recipient, parentID: parentID, channelID: channelID, payload: payload)
                },
                row: { id in
                    await outbox.notification(id).map {
                        Row(status: $0.status.rawValue, attempts: $0.attempts, lastError: $0.lastError, channelID: $0.channelID,
                            messageTS: $0.messageTS, claimedBy: $0.claimedBy)
                    }
                }))
        }
    }

    @Test("The oldest due notification is claimed first, and a claimed one by nobody else", arguments: Store.allCases)
    func claimOrder(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let first = try await door.ephemeral("one")
            let second = try await door.ephemeral("two", to: "U0MGR0001")
            let third = try await door.ephemeral("three")

            let claimed = try #require(try await door.claim("worker-a"))
            #expect(claimed == Message(id: first, type: .ephemeral, requestID: nil, recipient: "U0DEV0001", channelID: "C0PAYMENTS",
                                       parentChannelID: nil, parentTS: nil, payload: ["text": "one"], attempts: 0))
            #expect(try await door.row(first)?.claimedBy == "worker-a")
            #expect(try await door.claim("worker-b")?.id == second)
            #expect(try await door.claim("worker-a")?.id == third)
            #expect(try await door.claim("worker-c") == nil)
        }
    }

    @Test("A retry waits its turn: of two due, the one due first goes first, whatever its id", arguments: Store.allCases)
    func dueTimeBeforeID(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let first = try await door.ephemeral("one")
            let second = try await door.ephemeral("two")
            try await door.record(.rateLimited(after: .seconds(1)), of: try #require(try await door.claim("w")), by: "w")
            let claimedSecond = try #require(try await door.claim("w"))
            #expect(claimedSecond.id == second)
            try await door.record(.retry(after: .milliseconds(100), error: "502"), of: claimedSecond, by: "w")
            try await Task.sleep(for: .milliseconds(1300))
            #expect(try await door.claim("w")?.id == second)
            #expect(try await door.claim("w")?.id == first)
        }
    }

    @Test("A lease keeps a claim from others until it expires; only its holder renews it", arguments: Store.allCases)
    func leases(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.ephemeral("one")
            let held = try #require(try await door.claim("worker-a", lease: .seconds(1)))
            #expect(try await door.claim("worker-b") == nil)
            #expect(try await door.outbox.renewNotificationLease(id: id, workerID: "worker-b", lease: .seconds(30)) == false)

            try await Task.sleep(for: .milliseconds(1500))
            let taken = try #require(try await door.claim("worker-b"))
            #expect(taken.id == held.id)
            #expect(try await door.row(id)?.claimedBy == "worker-b")
            #expect(try await door.outbox.renewNotificationLease(id: id, workerID: "worker-a", lease: .seconds(30)) == false)
            #expect(try await door.outbox.renewNotificationLease(id: id, workerID: "worker-b", lease: .seconds(30)) == true)
        }
    }

    @Test("A renewed lease outlasts the one it replaced", arguments: Store.allCases)
    func renewal(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.ephemeral("one")
            _ = try #require(try await door.claim("worker-a", lease: .seconds(3)))
            try await Task.sleep(for: .milliseconds(1800))
            #expect(try await door.outbox.renewNotificationLease(id: id, workerID: "worker-a", lease: .seconds(3)) == true)
            // Past the first lease, within the renewed one.
            try await Task.sleep(for: .milliseconds(1800))
            #expect(try await door.claim("worker-b") == nil)
            #expect(try await door.row(id)?.claimedBy == "worker-a")
        }
    }

    @Test("Sent: recorded with Slack's channel and ts, counted, released, never claimed again", arguments: Store.allCases)
    func sent(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let posted = try await door.enqueue(.approvalRequest, "C0PAYMENTS", nil, nil, [:])
            try await door.record(.sent(channelID: "C0PAYMENTS", ts: "1732460000.000101"), of: try #require(try await door.claim("w")), by: "w")
            #expect(try await door.row(posted) == Row(status: "sent", attempts: 1, channelID: "C0PAYMENTS", messageTS: "1732460000.000101"))

            // An ephemeral message has no ts; the channel it was queued with stays.
            let ephemeral = try await door.ephemeral("one")
            try await door.record(.sent(channelID: nil, ts: nil), of: try #require(try await door.claim("w")), by: "w")
            #expect(try await door.row(ephemeral) == Row(status: "sent", attempts: 1, channelID: "C0PAYMENTS"))
            #expect(try await door.claim("w") == nil)
        }
    }

    @Test("Retry: counted, released, due again after its delay; the last attempt fails it", arguments: Store.allCases)
    func retry(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.ephemeral("one")
            try await door.record(.retry(after: .seconds(3), error: "503"), of: try #require(try await door.claim("w")), by: "w", maxAttempts: 3)
            #expect(try await door.row(id) == Row(status: "pending", attempts: 1, lastError: "503", channelID: "C0PAYMENTS"))
            #expect(try await door.claim("w") == nil)
            try await Task.sleep(for: .milliseconds(3300))

            let second = try #require(try await door.claim("w"))
            #expect(second.attempts == 1)
            try await door.record(.retry(after: .zero, error: "timed out"), of: second, by: "w", maxAttempts: 3)
            #expect(try await door.row(id) == Row(status: "pending", attempts: 2, lastError: "timed out", channelID: "C0PAYMENTS"))

            let third = try #require(try await door.claim("w"))
            #expect(third.attempts == 2)
            try await door.record(.retry(after: .zero, error: "500"), of: third, by: "w", maxAttempts: 3)
            #expect(try await door.row(id) == Row(status: "failed", attempts: 3, lastError: "500", channelID: "C0PAYMENTS"))
            #expect(try await door.claim("w") == nil)
        }
    }

    @Test("Rate limited: released, due after the pause, no attempt counted", arguments: Store.allCases)
    func rateLimited(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.ephemeral("one")
            try await door.record(.rateLimited(after: .seconds(3)), of: try #require(try await door.claim("w")), by: "w", maxAttempts: 1)
            #expect(try await door.row(id) == Row(status: "pending", attempts: 0, lastError: "rate limited", channelID: "C0PAYMENTS"))
            #expect(try await door.claim("w") == nil)
            try await Task.sleep(for: .milliseconds(3300))
            let again = try #require(try await door.claim("w"))
            #expect(again.attempts == 0)
            // With one attempt allowed, the first retry is the last.
            try await door.record(.retry(after: .zero, error: "503"), of: again, by: "w", maxAttempts: 1)
            #expect(try await door.row(id) == Row(status: "failed", attempts: 1, lastError: "503", channelID: "C0PAYMENTS"))
        }
    }

    @Test("Failed: recorded once with Slack's error, never claimed again", arguments: Store.allCases)
    func failed(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.ephemeral("one")
            try await door.record(.failed(error: "channel_not_found"), of: try #require(try await door.claim("w")), by: "w")
            #expect(try await door.row(id) == Row(status: "failed", attempts: 1, lastError: "channel_not_found", channelID: "C0PAYMENTS"))
            #expect(try await door.claim("w") == nil)
        }
    }

    @Test("A conversation opened: its channel kept, no attempt counted, due again at once", arguments: Store.allCases)
    func conversationOpened(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.enqueue(.directMessage, "U0DEV0001", nil, nil, ["event": "approved"])
            try await door.record(.conversationOpened(channelID: "D0DEV0001"), of: try #require(try await door.claim("w")), by: "w")
            #expect(try await door.row(id) == Row(status: "pending", attempts: 0, channelID: "D0DEV0001"))
            let again = try #require(try await door.claim("w"))
            #expect(again.id == id && again.channelID == "D0DEV0001" && again.attempts == 0)
        }
    }

    @Test("A worker that lost its claim records only a sent message, over nobody's record", arguments: Store.allCases)
    func aWorkerThatLostItsClaim(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let id = try await door.ephemeral("one")
            let stale = try #require(try await door.claim("worker-a", lease: .milliseconds(300)))
            try await Task.sleep(for: .milliseconds(600))
            let current = try #require(try await door.claim("worker-b"))

            let late: [(PortalStore.DeliveryResult, maxAttempts: Int)] = [
                (.retry(after: .zero, error: "late"), 12), (.retry(after: .zero, error: "late, and the last attempt"), 1),
                (.rateLimited(after: .seconds(5)), 12), (.failed(error: "late"), 12), (.conversationOpened(channelID: "D0LATE"), 12),
            ]
            for (result, maxAttempts) in late {
                try await door.record(result, of: stale, by: "worker-a", maxAttempts: maxAttempts)
                #expect(try await door.row(id) == Row(status: "pending", attempts: 0, channelID: "C0PAYMENTS", claimedBy: "worker-b"), "\(result)")
            }
            // The message exists: Slack has it whoever holds the claim.
            try await door.record(.sent(channelID: nil, ts: "1.000001"), of: stale, by: "worker-a")
            #expect(try await door.row(id) == Row(status: "sent", attempts: 1, channelID: "C0PAYMENTS", messageTS: "1.000001"))
            // The newer worker's record, after, changes nothing.
            try await door.record(.sent(channelID: nil, ts: "2.000002"), of: current, by: "worker-b")
            try await door.record(.failed(error: "too late"), of: current, by: "worker-b")
            #expect(try await door.row(id) == Row(status: "sent", attempts: 1, channelID: "C0PAYMENTS", messageTS: "1.000001"))
        }
    }

    @Test("Updates wait for their message, carry its ts, and go one at a time in order", arguments: Store.allCases)
    func updatesWaitForTheirMessage(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let approval = try await door.enqueue(.approvalRequest, "C0PAYMENTS", nil, nil, [:])
            let firstUpdate = try await door.enqueue(.approvalUpdate, "C0PAYMENTS", approval, nil, [:])
            let secondUpdate = try await door.enqueue(.approvalUpdate, "C0PAYMENTS", approval, nil, [:])

            let message = try #require(try await door.claim("w"))
            #expect(message.id == approval)
            #expect(try await door.claim("w") == nil)
            try await door.record(.sent(channelID: "C0PAYMENTS", ts: "1732460000.000101"), of: message, by: "w")

            let update = try #require(try await door.claim("w"))
            #expect(update.id == firstUpdate && update.parentChannelID == "C0PAYMENTS" && update.parentTS == "1732460000.000101")
            #expect(try await door.claim("w") == nil)
            try await door.record(.sent(channelID: "C0PAYMENTS", ts: "1732460000.000101"), of: update, by: "w")
            #expect(try await door.claim("w")?.id == secondUpdate)
        }
    }

    @Test("An update of a message that was never delivered fails with it, and nothing is claimed", arguments: Store.allCases)
    func anUpdateOfAFailedMessageFails(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let approval = try await door.enqueue(.approvalRequest, "C0PAYMENTS", nil, nil, [:])
            let update = try await door.enqueue(.approvalUpdate, "C0PAYMENTS", approval, nil, [:])
            try await door.record(.failed(error: "channel_not_found"), of: try #require(try await door.claim("w")), by: "w")
            #expect(try await door.claim("w") == nil)
            #expect(try await door.row(update) == Row(status: "failed", attempts: 0, lastError: "the message it updates was never delivered"))
        }
    }
}
