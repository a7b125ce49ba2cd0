import Foundation
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import Testing

/// The expiry worker's sweeps, once on PostgreSQL (`PortalStore`, whose SQL writes `RequestDeadlines` as WHERE
/// clauses) and once on the twin in memory (`MemoryRequestRepository`, which applies `RequestDeadlines` as it is),
/// with the same assertions: `RequestExpiryTests` run the worker on the twin, so it must sweep as the SQL does. Time
/// passes by moving a request's making and approval into the past; nothing waits for a clock. The memory run opens
/// no database connection.
@Suite("Expiry sweeps: one contract, two stores")
struct ExpirySweepContractTests {
    typealias SlackIDs = Organisation.SlackIDs
    static let day = Duration.seconds(86_400)

    struct Door: Sendable {
        let requests: any RequestRepository
        let sweeps: any ExpirySweeps
        /// Moves a request's making and approval this many hours into the past.
        let age: @Sendable (Int, _ hours: Int) async throws -> Void
        /// A pod's own time to live, as `querygate pods set --request-ttl` sets it.
        let setPodTTL: @Sendable (String, _ seconds: Int?) async throws -> Void
        /// The request rows of the audit log, in order, with who wrote them and what they say.
        let requestAudit: @Sendable () async throws -> [String]
        /// The reminders queued for the outbox, in order.
        let reminders: @Sendable () async throws -> [Int]
        let people: [String: User]

        func submit(_ query: String = "SELECT 1") async throws -> Int {
            let request = try NewRequest(target: Organisation.target, queryText: query, reason: "Ticket 4711")
            return try await requests.submit(request, by: try #require(people[SlackIDs.dev]), via: .slack).id
        }

        func status(_ id: Int) async throws -> RequestStatus? { try await requests.requestDetails(id: id)?.status }

        /// One expiry sweep, as the worker makes it, with a day as QueryGate's default time to live.
        func expire(defaultTTL: Duration? = ExpirySweepContractTests.day, limit: Int = 100) async throws -> [Int] {
            try await sweeps.expireOverdueRequests(defaultTTL: defaultTTL, limit: limit)
        }

        /// One reminder sweep, likewise, at 50% of the time to live unless said otherwise.
        func remind(defaultTTL: Duration? = ExpirySweepContractTests.day, percent: Int = 50) async throws -> [Int] {
            try await sweeps.remindWaitingRequests(defaultTTL: defaultTTL, percent: percent, limit: 100)
        }
    }

    typealias Store = ContractStore

    static func withDoor(_ store: Store, _ body: @escaping @Sendable (Door) async throws -> Void) async throws {
        switch store {
        case .postgres:
            try await TestDatabase.withMigrated { database in
                let store = database.store
                try await Organisation.seed(store)
                try await body(Door(
                    requests: store, sweeps: store,
                    age: { id, hours in
                        try await database.client.query(
                            """
                            UPDATE query_requests SET created_at = created_at - make_interval(hours => \(hours)::int),
                                approved_at = approved_at - make_interval(hours => \(hours)::int)
                            WHERE id = \(id)
                            """)
                    },
                    setPodTTL: { pod, seconds in
                        try await database.client.query("UPDATE pods SET request_ttl_seconds = \(seconds) WHERE name = \(pod)")
                    },
                    requestAudit: {
                        try await Rows.strings(
                            """
                            SELECT action || ' of ' || entity_id || ' by ' || actor_label
                                || coalesce(' was ' || (details->>'was'), '') || coalesce(' kind ' || (details->>'kind'), '')
                            FROM audit_logs WHERE action IN ('request.expired', 'request.reminded') ORDER BY id
                            """, in: database)
                    },
                    reminders: {
                        try await database.client.query(
                            "SELECT request_id::int FROM slack_notifications WHERE notification_type = 'reminder' ORDER BY id"
                        ).decode(Int.self).reduce(into: []) { $0.append($1) }
                    },
                    people: try await Self.people(store)))
            }
        case .memory:
            let twin = MemoryRequestRepository()
            try await Organisation.seed(twin)
            try await body(Door(
                requests: twin, sweeps: twin,
                age: { id, hours in await twin.age(id, by: .seconds(hours * 3600)) },
                setPodTTL: { pod, seconds in await twin.setTimeToLive(of: pod, seconds: seconds) },
                requestAudit: {
                    await twin.audit.filter { [.requestExpired, .approversReminded].contains($0.action) }.map { row in
                        "\(row.action.rawValue) of \(row.requestID.map(String.init) ?? "-") by \(row.actor)"
                            + (row.details["was"].map { " was \($0)" } ?? "") + (row.details["kind"].map { " kind \($0)" } ?? "")
                    }
                },
                reminders: {
                    await twin.queued.compactMap { if case .reminder(let id) = $0 { id } else { nil } }
                },
                people: try await Self.people(twin)))
        }
    }

    static func people(_ desk: some SlackDesk) async throws -> [String: User] {
        var people: [String: User] = [:]
        for id in [SlackIDs.dev, SlackIDs.maria] { people[id] = try await desk.user(slackUserID: id) }
        return people
    }

    @Test("A pending request expires a time to live after it was made, once, audited; a younger one waits", arguments: Store.allCases)
    func pendingExpires(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let old = try await door.submit()
            let young = try await door.submit("SELECT 2")
            try await door.age(old, 25)
            try await door.age(young, 23)
            #expect(try await door.expire() == [old])
            #expect(try await door.expire() == [], "a second sweep finds nothing")
            #expect(try await door.status(old) == .expired)
            #expect(try await door.status(young) == .pending)
            #expect(try await door.requestAudit() == ["request.expired of \(old) by system:expiry was pending"])
        }
    }

    @Test("An approved request that never started expires a time to live after its approval, not after its making",
          arguments: Store.allCases)
    func approvedExpires(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let maria = try #require(door.people[SlackIDs.maria])
            let stale = try await door.submit()
            let recent = try await door.submit("SELECT 2")
            #expect(try await door.requests.approve(requestID: stale, by: maria, via: .slack) == .decided(.approved))
            try await door.age(stale, 25)  // made and approved 25 hours ago
            try await door.age(recent, 30)  // made 30 hours ago ...
            #expect(try await door.requests.approve(requestID: recent, by: maria, via: .slack) == .decided(.approved))  // ... approved now
            #expect(try await door.expire() == [stale])
            #expect(try await door.status(recent) == .approved)
            #expect(try await door.requestAudit() == ["request.expired of \(stale) by system:expiry was approved"])
        }
    }

    @Test("Decided requests never expire, nor anything without a time to live; a pod's own wins over the default",
          arguments: Store.allCases)
    func whatNeverExpires(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let maria = try #require(door.people[SlackIDs.maria])
            let rejected = try await door.submit()
            #expect(try await door.requests.reject(requestID: rejected, reason: "no", by: maria, via: .slack) == .decided(.rejected))
            let cancelled = try await door.submit("SELECT 2")
            #expect(try await door.requests.cancel(requestID: cancelled, by: try #require(door.people[SlackIDs.dev]), via: .slack)
                == .decided(.cancelled))
            let pending = try await door.submit("SELECT 3")
            for id in [rejected, cancelled, pending] { try await door.age(id, 3) }

            #expect(try await door.expire(defaultTTL: nil) == [], "no time to live: never")
            #expect(try await door.expire() == [], "3 hours of 24")
            try await door.setPodTTL("payments", 7200)
            #expect(try await door.expire() == [pending], "the pod's 2 hours")
            #expect(try await door.status(rejected) == .rejected)
            #expect(try await door.status(cancelled) == .cancelled)
        }
    }

    @Test("A sweep takes the oldest first, at most its limit; the next takes the rest", arguments: Store.allCases)
    func limits(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let ids = [try await door.submit("SELECT 1"), try await door.submit("SELECT 2"), try await door.submit("SELECT 3")]
            try await door.age(ids[0], 30)
            try await door.age(ids[1], 40)
            try await door.age(ids[2], 35)
            #expect(try await door.expire(limit: 2) == [ids[1], ids[2]])
            #expect(try await door.expire(limit: 2) == [ids[0]])
        }
    }

    @Test("Approvers are reminded once, past the given share of the time to live, of pending requests not yet overdue",
          arguments: Store.allCases)
    func reminders(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let maria = try #require(door.people[SlackIDs.maria])
            let halfway = try await door.submit()
            let early = try await door.submit("SELECT 2")
            let decided = try await door.submit("SELECT 3")
            let overdue = try await door.submit("SELECT 4")
            #expect(try await door.requests.approve(requestID: decided, by: maria, via: .slack) == .decided(.approved))
            try await door.age(halfway, 13)
            try await door.age(early, 11)
            try await door.age(decided, 13)
            try await door.age(overdue, 25)  // no sweep ran while it waited: it is for the expiry, not a reminder

            #expect(try await door.remind(percent: 0) == [], "0%: reminders off")
            #expect(try await door.remind(defaultTTL: nil) == [], "no time to live")
            #expect(try await door.remind() == [halfway])
            #expect(try await door.remind() == [], "once")
            #expect(try await door.reminders() == [halfway])
            #expect(try await door.requestAudit() == ["request.reminded of \(halfway) by system:expiry kind scheduled"])
        }
    }
}
