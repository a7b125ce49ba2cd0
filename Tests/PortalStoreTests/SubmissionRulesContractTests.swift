import Foundation
import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateTestSupport
import Testing

/// The submission's rules are the core's (`SubmissionRules`, `ApprovalQuorum`, `RequestVisibility`), but on
/// PostgreSQL `querygate_record_submission` applies them in SQL, so that a submission takes one round trip. These
/// tests hold the SQL to the core: every combination of a target's facts, every risk class and every kind of person
/// gets what the core's rule says, on PostgreSQL and on the twin in memory. The memory run opens no database
/// connection.
@Suite("Submission rules: the SQL and the twin decide as the core does")
struct SubmissionRulesContractTests {
    typealias SlackIDs = Organisation.SlackIDs

    struct Door: Sendable {
        /// Slack's desk, for its submission by account as well as by person.
        let requests: any SlackDesk
        /// Registers `instance/database` with these facts (the instance is made on first use).
        let addTarget: @Sendable (_ instance: String, _ database: String, DatabaseType, _ instanceEnabled: Bool,
                                  _ databaseEnabled: Bool, _ missing: Bool) async throws -> Void
        let setApprovals: @Sendable (String, ApprovalQuorum) async throws -> Void
        let requestsRecorded: @Sendable () async throws -> Int
        let dev: User
        /// Everyone of the organisation, as the store reads them.
        let everyone: [User]
    }

    typealias Store = ContractStore

    static func withDoor(_ store: Store, _ body: @escaping @Sendable (Door) async throws -> Void) async throws {
        switch store {
        case .postgres:
            try await TestDatabase.withMigrated { database in
                let store = database.store
                try await Organisation.seed(store)
                try await body(Door(
                    requests: store,
                    addTarget: { instance, name, engine, instanceEnabled, databaseEnabled, missing in
                        let known = try await database.client.query("SELECT count(*)::int FROM database_instances WHERE name = \(instance)")
                            .decode(Int.self).reduce(0, +)
                        if known == 0 {
                            let credentials: InstanceCredentials = engine == .mongodb
                                ? .connectionStringVariable(try EnvironmentVariableName("MONGO_X_URI", field: "x"))
                                : .environmentPrefix(try EnvironmentVariableName("PG_X", field: "x"))
                            _ = try await store.addInstance(
                                NewInstance(name: try InstanceName(instance), type: engine, credentials: credentials, description: nil), by: .system)
                            try await database.client.query("UPDATE database_instances SET is_active = \(instanceEnabled) WHERE name = \(instance)")
                        }
                        _ = try await store.addDatabase(instance: try InstanceName(instance), name: try DatabaseName(name), description: nil, by: .system)
                        try await database.client.query(
                            """
                            UPDATE databases SET is_active = \(databaseEnabled), missing_since = CASE WHEN \(missing) THEN now() END
                            WHERE name = \(name) AND instance_id = (SELECT id FROM database_instances WHERE name = \(instance))
                            """)
                    },
                    setApprovals: { pod, quorum in
                        let changes = Dictionary(uniqueKeysWithValues: RiskAssessment.Level.allCases.map { ($0, quorum.required(for: $0)) })
                        _ = try await store.setApprovals(of: PodName(pod), changes, by: .system)
                    },
                    requestsRecorded: { try await Rows.count("query_requests", in: database) },
                    dev: try #require(try await store.user(slackUserID: SlackIDs.dev)),
                    everyone: try await Self.everyone { try await store.user(slackUserID: $0) }))
            }
        case .memory:
            let twin = MemoryRequestRepository()
            try await Organisation.seed(twin)
            try await body(Door(
                requests: twin,
                addTarget: { instance, name, engine, instanceEnabled, databaseEnabled, missing in
                    try await twin.addTarget("\(instance)/\(name)", type: engine, isActive: instanceEnabled && databaseEnabled, isMissing: missing)
                },
                setApprovals: { pod, quorum in await twin.setApprovals(of: pod, quorum) },
                requestsRecorded: { await twin.requestCount },
                dev: try #require(try await twin.user(slackUserID: SlackIDs.dev)),
                everyone: try await Self.everyone { try await twin.user(slackUserID: $0) }))
        }
    }

    static func everyone(_ user: (String) async throws -> User?) async throws -> [User] {
        var users: [User] = []
        for person in Organisation.people { users.append(try #require(try await user(person.slackUserID))) }
        return users
    }

    /// A text for PostgreSQL only, one for MongoDB only (as far as the engines' checks go), and one for neither.
    static let texts = ["SELECT count(*) FROM customers", "db.orders.find({})", "SELECT 1; SELECT 2"]

    @Test("A target's refusals come in the core's order: unknown, missing, disabled, then the text for its engine",
          arguments: Store.allCases)
    func refusalsInTheCoresOrder(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            var cases: [(path: String, state: SubmissionRules.TargetState?)] = [("pg-on/not_there", nil), ("nowhere/customer_db", nil)]
            for engine in DatabaseType.allCases {
                for instanceEnabled in [true, false] {
                    let instance = "\(engine == .mongodb ? "mongo" : "pg")-\(instanceEnabled ? "on" : "off")"
                    for databaseEnabled in [true, false] {
                        // A database the last sync did not find is inactive too (`databases_missing_is_inactive`).
                        for missing in [true, false] where !(missing && databaseEnabled) {
                            let name = "db_\(databaseEnabled ? "on" : "off")_\(missing ? "gone" : "here")"
                            try await door.addTarget(instance, name, engine, instanceEnabled, databaseEnabled, missing)
                            cases.append(("\(instance)/\(name)", SubmissionRules.TargetState(
                                engine: engine, isMissing: missing, isEnabled: instanceEnabled && databaseEnabled)))
                        }
                    }
                }
            }
            var outcomes = Set<String>()
            for (path, state) in cases {
                for text in Self.texts {
                    let request = try NewRequest(target: path, queryText: text, reason: "Ticket 4711")
                    let expected = Result { () throws(ValidationError) in
                        try SubmissionRules.level(on: state, at: request.target, SubmissionRules.Levels(request))
                    }
                    // By the person (the API, the form) and by their Slack account (`/query`, which looks them up
                    // in the same statement): the same rules either way.
                    for byAccount in [false, true] {
                        let before = try await door.requestsRecorded()
                        do {
                            let submitted = if byAccount {
                                try await door.requests.submit(request, bySlackUser: SlackIDs.dev, via: .slack)
                            } else {
                                PortalStore.SlackSubmission.submitted(try await door.requests.submit(request, by: door.dev, via: .slack))
                            }
                            guard case .submitted(let recorded) = submitted else {
                                Issue.record("\(path) \(text): the account was not found: \(submitted)")
                                continue
                            }
                            #expect(throws: Never.self, "\(path) \(text): recorded as #\(recorded.id)") { try expected.get() }
                            #expect(try await door.requestsRecorded() == before + 1)
                            outcomes.insert("recorded")
                        } catch let error as ValidationError {
                            #expect(throws: error, "\(path) \(text)") { try expected.get() }
                            #expect(try await door.requestsRecorded() == before, "\(path) \(text): refused, and recorded anyway")
                            let refusal = SubmissionRules.Refusal.allCases.first { $0.error(for: request.target) == error }
                            outcomes.insert(refusal.map { "\($0)" } ?? error.field)
                        }
                    }
                }
            }
            // The matrix reaches every rule of the order: each refusal of a target, the engine's, and a recorded request.
            #expect(outcomes == ["noSuchTarget", "targetMissing", "targetDisabled", "query", "recorded"])
        }
    }

    @Test("A request copies the approvals its risk class needs in its pod, for every class", arguments: Store.allCases)
    func approvalsByRiskClass(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let quorum = ApprovalQuorum(readOnly: 1, write: 2, ddl: 3, dangerous: 4)
            try await door.setApprovals("payments", quorum)
            let texts = ["SELECT 1", "UPDATE customers SET name = 'x' WHERE id = 1", "CREATE INDEX ON customers (name)", "DROP TABLE customers"]
            let levels = texts.map { RiskAnalysis.assess(sql: $0).level }
            #expect(Set(levels) == Set(RiskAssessment.Level.allCases), "the texts cover every class: \(levels)")
            for (text, level) in zip(texts, levels) {
                let request = try NewRequest(target: Organisation.target, queryText: text, reason: "Ticket 4711")
                let submitted = try await door.requests.submit(request, by: door.dev, via: .slack)
                #expect(submitted.approvalsRequired == quorum.required(for: level), "\(text)")
                #expect(try await door.requests.requestDetails(id: submitted.id)?.approvalsRequired == quorum.required(for: level), "\(text)")
            }
        }
    }

    @Test("A request names its pod's active managers as its approvers, as the core's rule says", arguments: Store.allCases)
    func approversAreTheCoresNamedApprovers(_ store: Store) async throws {
        try await Self.withDoor(store) { door in
            let request = try NewRequest(target: Organisation.target, queryText: "SELECT 1", reason: "Ticket 4711")
            let submitted = try await door.requests.submit(request, by: door.dev, via: .slack)
            let podID = try #require(door.dev.podID)
            let named = door.everyone.filter { ApprovalPolicy.isNamedApprover($0, ofPod: podID) }.sorted { $0.name < $1.name }
            #expect(submitted.approvers.map(\.email) == named.map(\.email))
            let details = try #require(try await door.requests.requestDetails(id: submitted.id))
            #expect(details.managerSlackIDs == named.compactMap(\.slackUserID), "whom the approval message mentions")
            // Olga is a deactivated manager of the pod, Sam another pod's, Ada an admin: none of them is named.
            #expect(named.map(\.email) == [Organisation.Emails.maria])
        }
    }

    @Test("The Home tabs a submission republishes are those of the people the core lets see the request")
    func homeTabAudienceIsTheVisibilityRule() async throws {
        try await TestDatabase.withMigrated { database in
            let store = database.store
            try await Organisation.seed(store)
            try await database.client.query("UPDATE users SET home_opened_at = now()")
            let dev = try #require(try await store.user(slackUserID: SlackIDs.dev))
            let request = try NewRequest(target: Organisation.target, queryText: "SELECT 1", reason: "Ticket 4711")
            let submitted = try await store.submit(request, by: dev, via: .slack)

            var allowed: [String] = []
            for person in Organisation.people {
                let user = try #require(try await store.user(slackUserID: person.slackUserID))
                if RequestVisibility.allows(user, requestBy: dev.email, inPod: submitted.podName) { allowed.append(person.slackUserID) }
            }
            let republished = try await Rows.strings(
                "SELECT recipient FROM slack_notifications WHERE notification_type = 'home_tab' ORDER BY recipient", in: database)
            #expect(republished == allowed.sorted())
            // The organisation has people on both sides: the requester, their manager and the admin see it; another
            // developer of the pod, another pod's manager and a deactivated manager do not.
            #expect(Set(allowed) == [SlackIDs.dev, SlackIDs.maria, SlackIDs.ada])
        }
    }
}
