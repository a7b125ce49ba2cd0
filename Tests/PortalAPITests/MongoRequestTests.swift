import Foundation
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// MongoDB requests through the API: checked at submission like in Slack, classified for the approver.
@Suite struct MongoRequestTests {
    static func withMongoTarget(_ body: @Sendable @escaping (AppHarness, String) async throws -> Void) async throws {
        try await AppHarness.run { app in
            try await app.store.addInstance(
                NewInstance(name: InstanceName("mongo-main"), type: .mongodb,
                            credentials: .connectionStringVariable(EnvironmentVariableName("MONGO_INSTANCE_1_URI", field: "x")), description: nil),
                by: .system)
            try await app.store.addDatabase(instance: InstanceName("mongo-main"), name: DatabaseName("shop"), description: nil, by: .system)
            let dev = try await app.signIn(Organisation.Emails.dev)
            try await body(app, dev.access)
        }
    }

    @Test func aMongoDBRequestIsClassified() async throws {
        try await Self.withMongoTarget { app, token in
            let response = try await app.api(.post, "/api/v1/requests", token: token, json: [
                "target": "mongo-main/shop", "type": "script", "reason": "cleanup",
                "query": "db.carts.find({stale: true})\ndb.carts.deleteMany({})",
            ])
            #expect(response.status == .created)
            #expect(response.json?["database_type"]?.stringValue == "mongodb")
            #expect(response.json?["risk"]?["level"]?.stringValue == "dangerous")
            #expect(response.json?["risk"]?["warnings"]?.allText.contains("deleteMany with an empty filter removes every document of carts") == true)
        }
    }

    @Test(arguments: [
        ("db.orders.find({$where: 'sleep(1000)'})", "$where"),
        ("db.orders.find({a: 1}", "line 1, column"),
        ("db.orders.find({}); db.orders.find({})", "a query is one"),
    ])
    func refusedWithTheFieldAndNothingRecorded(query: String, fragment: String) async throws {
        try await Self.withMongoTarget { app, token in
            let response = try await app.api(.post, "/api/v1/requests", token: token,
                                             json: ["target": "mongo-main/shop", "query": .string(query), "reason": "r"])
            #expect(response.status == .badRequest)
            #expect(response.json?["error"]?["field"]?.stringValue == "query")
            #expect(response.json?["error"]?["message"]?.stringValue?.contains(fragment) == true, "\(String(describing: response.json))")
            #expect(try await Rows.count("query_requests", in: app.database) == 0)
        }
    }
}
