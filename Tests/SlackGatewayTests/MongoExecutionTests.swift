import Foundation
import Logging
import NIOPosix
import PortalStore
import QueryGateCore
import QueryGateServer
import RequestExecution
import QueryGateTestSupport
import SlackGateway
import TargetEngines
import Testing

/// A MongoDB request from `/query` to its documents in the thread, through the real driver and the wire-protocol
/// test server.
@Suite struct MongoExecutionTests {
    typealias People = AppHarness.People
    static let variable = "MONGO_INSTANCE_1_URI"

    static let threadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    static var engine: MongoEngine { MongoEngine(threadPool: threadPool, limits: ExecutionLimits(), logger: AppHarness.quietLogger) }

    /// The harness with `mongo-main/<fresh database>` registered, holding `orders` 1…60 (every third shipped).
    static func run(_ body: @Sendable @escaping (AppHarness, String) async throws -> Void) async throws {
        try await AppHarness.run { slack in
            let database = MongoTestServer.freshDatabaseName()
            try await slack.store.addInstance(
                NewInstance(name: InstanceName("mongo-main"), type: .mongodb,
                            credentials: .connectionStringVariable(EnvironmentVariableName(variable, field: "x")), description: nil),
                by: .system)
            try await slack.store.addDatabase(instance: InstanceName("mongo-main"), name: DatabaseName(database), description: nil, by: .system)
            let orders = (1...60).map { "{_id: \($0), status: '\($0 % 3 == 0 ? "shipped" : "pending")', total: \($0 * 10)}" }
            let seeded = await engine.execute(MongoEngine.Job(
                uri: try MongoTestServer.uri(), uriVariable: variable, database: database,
                script: "db.orders.insertMany([\(orders.joined(separator: ", "))])",
                exportURL: FileManager.default.temporaryDirectory.appendingPathComponent("qg-seed-\(UUID().uuidString)")))
            _ = try seeded.get()
            try await body(slack, database)
        }
    }

    static func executor(_ slack: AppHarness, credentials: [String: String]) -> RequestExecutor {
        var settings = RequestExecutor.Settings()
        settings.credentials = credentials
        return RequestExecutor(
            queue: slack.store, postgres: PostgresEngine(threadPool: threadPool, limits: ExecutionLimits(), logger: AppHarness.quietLogger),
            mongo: engine, settings: settings, logger: AppHarness.quietLogger)
    }

    static func submit(_ slack: AppHarness, _ database: String, _ query: String) async throws -> Int {
        let text = try await slack.reply("mongo-main/\(database) checking ```\(query)```", as: People.dev)
        guard let range = text.range(of: "*#"), let id = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
            throw HarnessError("submission failed: \(text)")
        }
        return id
    }

    @Test func documentsInTheThreadAndTheWholeResultAsJSONLines() async throws {
        try await Self.run { slack, database in
            let id = try await Self.submit(slack, database, "db.orders.find({status: 'pending'}, {total: 1}).sort({_id: 1})")
            try await slack.deliverOutbox()
            let approval = await slack.fake.recorder.successful("chat.postMessage").first?.arguments["blocks"]?.allText ?? ""
            #expect(approval.contains("*Risk:* 🟢 read-only"))
            #expect(!approval.contains("transaction"))

            _ = try await slack.click("request.approve", request: id, as: People.maria)
            #expect(try await Self.executor(slack, credentials: [Self.variable: try MongoTestServer.uri()]).runNext() == id)
            #expect(try await slack.status(of: id) == .completed)
            try await slack.deliverOutbox()

            let recorder = slack.fake.recorder
            let reply = try #require(await recorder.successful("chat.postMessage").map(\.arguments).first { $0["thread_ts"] != nil })
            let words = reply["blocks"]?.allText ?? ""
            #expect(words.contains("`find on orders`"))
            #expect(words.contains("```{\"_id\": 1, \"total\": 10}\n{\"_id\": 2, \"total\": 20}\n{\"_id\": 4, \"total\": 40}"))
            #expect(words.contains("40 rows, 20 shown"))
            #expect(words.contains("the full result (40 rows) is attached as JSON Lines"))

            // The documents are flat, so a CSV goes with the JSON Lines, both in one message.
            let reserved = await recorder.successful("files.getUploadURLExternal").map { $0.arguments["filename"]?.stringValue }
            #expect(reserved == ["querygate-request-\(id).jsonl", "querygate-request-\(id).csv"])
            let complete = try #require(await recorder.successful("files.completeUploadExternal").first?.arguments)
            #expect(complete["thread_ts"]?.stringValue == "1732460000.000101")
            #expect(complete["initial_comment"]?.stringValue == "Request #\(id): The full result (40 rows) is in these files (JSON Lines and CSV).")
            let fileIDs = complete["files"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            try #require(fileIDs.count == 2)
            let lines = String(decoding: await recorder.uploads[fileIDs[0]] ?? [], as: UTF8.self).split(separator: "\n")
            #expect(lines.count == 40)
            #expect(lines.last == #"{"_id": 59, "total": 590}"#)
            let csv = String(decoding: await recorder.uploads[fileIDs[1]] ?? [], as: UTF8.self).components(separatedBy: "\r\n")
            #expect(csv.prefix(3) == ["_id,total", "1,10", "2,20"])
            #expect(csv.count == 42)
            #expect(try await slack.store.exports(of: id).isEmpty)
        }
    }

    /// A document of a few hundred characters is shown whole and pretty-printed, with no file; one longer than a
    /// message holds is cut in the thread and uploaded whole.
    @Test(arguments: [(30, false), (400, true)])
    func aShortResultIsShownWholeAndOnlyWhatDoesNotFitIsUploaded(repeats: Int, uploaded: Bool) async throws {
        try await Self.run { slack, database in
            let note = String(repeating: "long text ", count: repeats)
            _ = try await Self.engine.execute(MongoEngine.Job(
                uri: try MongoTestServer.uri(), uriVariable: Self.variable, database: database,
                script: "db.orders.updateOne({_id: 1}, {$set: {note: '\(note)'}})",
                exportURL: FileManager.default.temporaryDirectory.appendingPathComponent("qg-\(UUID().uuidString)"))).get()
            let id = try await Self.submit(slack, database, "db.orders.find({_id: {$lte: 2}}).sort({_id: 1})")
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            try await Self.executor(slack, credentials: [Self.variable: try MongoTestServer.uri()]).runNext()
            try await slack.deliverOutbox()
            let recorder = slack.fake.recorder
            let reply = await recorder.successful("chat.postMessage").map(\.arguments).first { $0["thread_ts"] != nil }
            let words = reply?["blocks"]?.allText ?? ""
            let files = await recorder.successful("files.completeUploadExternal")
            if uploaded {
                #expect(words.contains("…"), "the long document was not cut in the thread")
                let fileID = try #require(files.first?.arguments["files"]?.arrayValue?.first?["id"]?.stringValue)
                #expect(String(decoding: await recorder.uploads[fileID] ?? [], as: UTF8.self).contains(note))
            } else {
                #expect(words.contains("```{\n  \"_id\": 1,\n"), "\(words)")
                #expect(words.contains("  \"note\": \"\(note)\""))
                #expect(words.contains("}\n{\n  \"_id\": 2,"))
                #expect(!words.contains("…"))
                #expect(files.isEmpty, "a result shown whole was uploaded too")
            }
        }
    }

    @Test func aWriteScriptReportsItsCountsInTheThread() async throws {
        try await Self.run { slack, database in
            let text = try await slack.reply("""
                script mongo-main/\(database) fix statuses ```db.orders.updateMany({status: 'pending', total: {$gt: 250}}, {$set: {status: 'late'}})
                db.orders.deleteOne({_id: 3})```
                """, as: People.dev)
            let id = try #require(text.range(of: "*#").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) })
            try await slack.deliverOutbox()
            let approval = await slack.fake.recorder.successful("chat.postMessage").first?.arguments["blocks"]?.allText ?? ""
            #expect(approval.contains("*Risk:* 🟡 write"))
            #expect(approval.contains("not as one transaction"))

            _ = try await slack.click("request.approve", request: id, as: People.maria)
            try await Self.executor(slack, credentials: [Self.variable: try MongoTestServer.uri()]).runNext()
            try await slack.deliverOutbox()
            let reply = await slack.fake.recorder.successful("chat.postMessage").map(\.arguments).first { $0["thread_ts"] != nil }
            let words = reply?["blocks"]?.allText ?? ""
            #expect(words.contains("`updateMany on orders: 23 matched, 23 modified, 0 upserted` · `deleteOne on orders: 1 deleted`"))
        }
    }

    @Test func aMissingConnectionStringFailsTheRequestClearly() async throws {
        try await Self.run { slack, database in
            let id = try await Self.submit(slack, database, "db.orders.countDocuments({})")
            _ = try await slack.click("request.approve", request: id, as: People.maria)
            try await Self.executor(slack, credentials: [:]).runNext()
            #expect(try await slack.status(of: id) == .failed)
            try await slack.deliverOutbox()
            let reply = await slack.fake.recorder.successful("chat.postMessage").map(\.arguments).first { $0["thread_ts"] != nil }
            #expect(reply?["blocks"]?.allText.contains("ERROR: MONGO_INSTANCE_1_URI is not set where QueryGate runs, so the target cannot be reached") == true)
        }
    }

    @Test func helpSaysMongoDBScriptsAreNotAtomic() async throws {
        try await AppHarness.run { slack in
            let help = try await slack.reply("help", as: People.dev)
            #expect(help.contains("it is *not atomic*"))
            #expect(help.contains("`$where`"))
        }
    }

    @Test(arguments: [
        ("db.orders.find({$where: 'this.total > 10'})", "$where"),
        ("db.orders.aggregate([{$group: {_id: 1, x: {$accumulator: {init: 'function() {}'}}}}])", "$accumulator"),
        ("db.orders.find({$expr: {$function: {body: 'return 1', args: [], lang: 'js'}}})", "$function"),
        ("db.orders.mapReduce(function() {}, function() {})", "mapReduce"),
        ("db.orders.aggregate([{$out: {db: 'admin', coll: 'stolen'}}])", "$out"),
        ("db.orders.aggregate([{$merge: {into: {db: 'other', coll: 'x'}}}])", "$merge"),
        ("db.eval('1')", "eval"),
        ("db.orders.find({total: {$gt: }})", "line 1, column"),
    ])
    func refusedBeforeAnyApproverSeesIt(query: String, named: String) async throws {
        try await Self.run { slack, database in
            let text = try await slack.reply("mongo-main/\(database) sneaky ```\(query)```", as: People.dev)
            #expect(text.contains(named), "\(text)")
            #expect(try await Rows.count("query_requests", in: slack.database) == 0)
            #expect(try await Rows.count("slack_notifications", in: slack.database) == 0)
        }
    }
}
