import Foundation
import Logging
import NIOPosix
import QueryGateCore
import QueryGateTestSupport
import TargetEngines
import Testing

/// The MongoDB engine through the real driver (libmongoc) against the wire-protocol test server.
@Suite struct MongoEngineTests {
    static let threadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    static func engine(_ limits: ExecutionLimits = ExecutionLimits()) -> MongoEngine {
        var logger = Logger(label: "mongo-tests")
        logger.logLevel = .critical
        return MongoEngine(threadPool: threadPool, limits: limits, logger: logger)
    }

    /// A fresh database, and a function that runs a script on it and returns the outcome and the export's lines.
    struct Target {
        let database = MongoTestServer.freshDatabaseName()
        let engine: MongoEngine

        func run(_ script: String) async throws -> (Result<ExecutionResult, ExecutionFailure>, [String]) {
            let export = FileManager.default.temporaryDirectory.appendingPathComponent("qg-mongo-\(UUID().uuidString).jsonl")
            defer { try? FileManager.default.removeItem(at: export) }
            let job = MongoEngine.Job(uri: try MongoTestServer.uri(), uriVariable: "MONGO_INSTANCE_1_URI", database: database, script: script,
                                      exportURL: export)
            let result = await engine.execute(job)
            let lines = (try? String(contentsOf: export, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
            return (result, lines)
        }

        func documents(_ script: String) async throws -> [String] {
            let (result, _) = try await run(script)
            switch result {
            case .success(let result): return result.preview?.rows.compactMap { $0.first ?? nil } ?? []
            case .failure(let failure): throw failure
            }
        }

        func succeed(_ script: String) async throws -> ExecutionResult {
            switch try await run(script).0 {
            case .success(let result): return result
            case .failure(let failure): throw failure
            }
        }

        /// Five orders with every kind of value a filter may name.
        func seed() async throws {
            _ = try await succeed("""
                db.orders.insertMany([
                  {_id: 1, customer: 'ada', status: 'shipped', total: 120.5, items: 3, placed: ISODate('2026-01-05T10:00:00Z'), ref: ObjectId('65a1b2c3d4e5f60718293a4b')},
                  {_id: 2, customer: 'bob', status: 'pending', total: 20, items: 1, placed: ISODate('2026-02-01T00:00:00Z'), big: NumberLong('9007199254740993')},
                  {_id: 3, customer: 'ada', status: 'pending', total: 75, items: 2, placed: ISODate('2026-03-10T08:30:00Z'), price: NumberDecimal('19.99')},
                  {_id: 4, customer: 'cyd', status: 'shipped', total: 310, items: 7, placed: ISODate('2026-04-01T12:00:00Z')},
                  {_id: 5, customer: 'Ada Lovelace', status: 'cancelled', total: 0, items: 0, placed: ISODate('2026-05-20T00:00:00Z')},
                ])
                """)
        }
    }

    @Test func findWithFilterProjectionSortSkipAndLimit() async throws {
        let target = Target(engine: Self.engine())
        try await target.seed()
        #expect(try await target.documents("db.orders.find({status: 'shipped'}, {customer: 1, total: 1, _id: 0}).sort({total: -1})")
            == [#"{"customer": "cyd", "total": 310}"#, #"{"customer": "ada", "total": 120.5}"#])
        #expect(try await target.documents("db.orders.find({}, {_id: 1}).sort({_id: 1}).skip(1).limit(2)") == [#"{"_id": 2}"#, #"{"_id": 3}"#])
        #expect(try await target.documents("db.orders.find({total: {$gte: 75, $lt: 300}}, {_id: 1}).sort({_id: 1})") == [#"{"_id": 1}"#, #"{"_id": 3}"#])
        #expect(try await target.documents("db.orders.findOne({customer: 'bob'}, {status: 1})") == [#"{"_id": 2, "status": "pending"}"#])
    }

    @Test func shellHelpersAndRegexReachTheServerAsTheirBSONTypes() async throws {
        let target = Target(engine: Self.engine())
        try await target.seed()
        #expect(try await target.documents("db.orders.find({ref: ObjectId('65a1b2c3d4e5f60718293a4b')}, {_id: 1})") == [#"{"_id": 1}"#])
        #expect(try await target.documents("db.orders.find({placed: {$gte: ISODate('2026-03-01'), $lt: new Date('2026-04-02')}}, {_id: 1}).sort({_id: 1})")
            == [#"{"_id": 3}"#, #"{"_id": 4}"#])
        #expect(try await target.documents("db.orders.find({big: NumberLong('9007199254740993')}, {big: 1})")
            == [#"{"_id": 2, "big": 9007199254740993}"#])
        #expect(try await target.documents(#"db.orders.find({customer: /^ada/i}, {_id: 1}).sort({_id: 1})"#)
            == [#"{"_id": 1}"#, #"{"_id": 3}"#, #"{"_id": 5}"#])
        #expect(try await target.documents(#"db.orders.find({"_id": {"$numberInt": "3"}}, {price: 1, placed: 1})"#)
            == [#"{"_id": 3, "placed": {"$date": "2026-03-10T08:30:00.000Z"}, "price": {"$numberDecimal": "19.99"}}"#])
    }

    @Test func aggregateCountAndDistinct() async throws {
        let target = Target(engine: Self.engine())
        try await target.seed()
        #expect(try await target.documents("""
            db.orders.aggregate([{$match: {status: {$ne: 'cancelled'}}}, {$group: {_id: '$status', n: {$sum: 1}, total: {$sum: '$total'}}}, {$sort: {_id: 1}}])
            """) == [#"{"_id": "pending", "n": 2, "total": 95}"#, #"{"_id": "shipped", "n": 2, "total": 430.5}"#])
        #expect(try await target.documents("db.orders.countDocuments({customer: 'ada'})") == [#"{"count": 2}"#])
        #expect(try await target.documents("db.orders.distinct('status', {total: {$gt: 10}})") == [#""pending""#, #""shipped""#])
    }

    @Test func anAggregationThatWritesRunsAsAWrite() async throws {
        let target = Target(engine: Self.engine())
        try await target.seed()
        let result = try await target.succeed("db.orders.aggregate([{$match: {status: 'shipped'}}, {$project: {total: 1}}, {$out: 'shipped'}])")
        #expect(result.statements.map(\.command) == ["aggregate on orders"])
        #expect(try await target.documents("db.shipped.find({}).sort({_id: 1})") == [#"{"_id": 1, "total": 120.5}"#, #"{"_id": 4, "total": 310}"#])
    }

    @Test func writesReportWhatTheyChanged() async throws {
        let target = Target(engine: Self.engine())
        try await target.seed()
        let result = try await target.succeed("""
            db.orders.insertOne({_id: 6, customer: 'dee', status: 'pending', total: 5})
            db.orders.updateMany({status: 'pending'}, {$set: {status: 'review'}})
            db.orders.updateOne({_id: 99}, {$set: {status: 'new'}}, {upsert: true})
            db.orders.deleteOne({_id: 5})
            db.orders.deleteMany({status: 'review'})
            """)
        #expect(result.statements.map(\.command) == [
            "insertOne on orders: 1 inserted",
            "updateMany on orders: 3 matched, 3 modified, 0 upserted",
            "updateOne on orders: 0 matched, 0 modified, 1 upserted",
            "deleteOne on orders: 1 deleted",
            "deleteMany on orders: 3 deleted",
        ])
        #expect(result.statements.map(\.rowsAffected) == [1, 3, 1, 1, 3])
        #expect(result.preview == nil)
        #expect(try await target.documents("db.orders.find({}, {_id: 1}).sort({_id: 1})") == [#"{"_id": 1}"#, #"{"_id": 4}"#, #"{"_id": 99}"#])
    }

    @Test func awkwardCollectionNames() async throws {
        let target = Target(engine: Self.engine())
        _ = try await target.succeed(#"db.getCollection("order items").insertOne({sku: 'a'}); db["audit-log"].insertOne({x: 1})"#)
        #expect(try await target.documents(#"db["order items"].find({}, {_id: 0})"#) == [#"{"sku": "a"}"#])
        #expect(try await target.documents(#"db.getCollection('audit-log').countDocuments({})"#) == [#"{"count": 1}"#])
    }

    @Test func largeResultsStreamAcrossBatchesIntoTheExportWithinTheCaps() async throws {
        let target = Target(engine: Self.engine(ExecutionLimits(maxRows: 2_200)))
        let documents = (1...2_500).map { "{_id: \($0), n: \($0 % 7)}" }.joined(separator: ", ")
        _ = try await target.succeed("db.big.insertMany([\(documents)])")
        let (outcome, lines) = try await target.run("db.big.find({}).sort({_id: 1})")
        let result = try outcome.get()
        let preview = try #require(result.preview)
        #expect(preview.totalRows == 2_500)
        #expect(preview.rowsKept == 2_200)
        #expect(preview.rows.count == 20)
        #expect(lines.count == 2_200)
        #expect(lines.first == #"{"_id": 1, "n": 1}"#)
        #expect(lines.last == #"{"_id": 2200, "n": 2}"#)
        #expect(result.exportBytes == lines.reduce(0) { $0 + $1.utf8.count + 1 })
    }

    @Test func flatDocumentsAreAlsoWrittenAsCSVNestedOnesAreNot() async throws {
        let target = Target(engine: Self.engine())
        try await target.seed()
        let export = FileManager.default.temporaryDirectory.appendingPathComponent("qg-mongo-\(UUID().uuidString).jsonl")
        let csv = export.deletingPathExtension().appendingPathExtension("csv")
        defer {
            try? FileManager.default.removeItem(at: export)
            try? FileManager.default.removeItem(at: csv)
        }
        func run(_ script: String) async throws -> String? {
            _ = try await target.engine.execute(MongoEngine.Job(
                uri: try MongoTestServer.uri(), uriVariable: "MONGO_INSTANCE_1_URI", database: target.database, script: script, exportURL: export)).get()
            return try? String(contentsOf: csv, encoding: .utf8)
        }
        let flat = try await run("db.orders.find({_id: {$lte: 3}}, {customer: 1, placed: 1, big: 1, note: 1}).sort({_id: 1})")
        #expect(flat == """
            _id,customer,placed,big\r
            1,ada,2026-01-05T10:00:00.000Z,\r
            2,bob,2026-02-01T00:00:00.000Z,9007199254740993\r
            3,ada,2026-03-10T08:30:00.000Z,\r

            """)
        _ = try await target.succeed("db.orders.insertOne({_id: 7, customer: 'eve', tags: ['a', 'b']})")
        #expect(try await run("db.orders.find({}).sort({_id: 1})") == nil, "nested documents were flattened into CSV")
    }

    @Test func aScriptStopsAtTheFirstErrorAndSaysWhatWasApplied() async throws {
        let target = Target(engine: Self.engine())
        try await target.seed()
        let (outcome, _) = try await target.run("""
            db.orders.updateOne({_id: 1}, {$set: {checked: true}})
            db.orders.insertOne({_id: 2, customer: 'again'})
            db.orders.deleteMany({})
            """)
        guard case .failure(let failure) = outcome else { Issue.record("a duplicate key succeeded"); return }
        #expect(failure.message.hasPrefix("statement 2 (line 2), insertOne on orders: E11000 duplicate key error"))
        #expect(failure.sqlState == "11000")
        #expect(failure.detail == "the 1 write statement(s) before it were applied: a MongoDB script is not one transaction")
        // The third statement never ran; the first one did.
        #expect(try await target.documents("db.orders.countDocuments({})") == [#"{"count": 5}"#])
        #expect(try await target.documents("db.orders.countDocuments({checked: true})") == [#"{"count": 1}"#])
    }

    @Test func aFailingInsertManySaysWhatItWroteBeforeTheError() async throws {
        let target = Target(engine: Self.engine())
        try await target.seed()
        let (outcome, _) = try await target.run("db.orders.insertMany([{_id: 10}, {_id: 1}, {_id: 11}])")
        guard case .failure(let failure) = outcome else { Issue.record("a duplicate key succeeded"); return }
        #expect(failure.message.contains("E11000 duplicate key error"))
        #expect(failure.message.hasSuffix("; 1 document(s) of this statement were written before it, and stay"))
        #expect(try await target.documents("db.orders.find({_id: {$gte: 10}}, {_id: 1})") == [#"{"_id": 10}"#])
    }

    @Test func theStatementTimeoutBecomesMaxTimeMS() async throws {
        let target = Target(engine: Self.engine(ExecutionLimits(statementTimeout: .milliseconds(300))))
        try await target.seed()
        let started = ContinuousClock.now
        let (outcome, _) = try await target.run("db.orders.aggregate([{$match: {}}], {comment: 'querygate-test-sleep-ms:5000'})")
        guard case .failure(let failure) = outcome else { Issue.record("the slow aggregation was not stopped"); return }
        #expect(failure.sqlState == "50")
        #expect(failure.message == "QueryGate's time limit ended it: it ran longer than QUERYGATE_STATEMENT_TIMEOUT (300 ms), "
            + "so the server stopped the statement (maxTimeMS)")
        #expect(failure.detail?.hasPrefix("the database said: ") == true)
        #expect(started.duration(to: .now) < .seconds(4))
    }

    @Test func unreachableAndMisconfiguredTargetsFailClearly() async throws {
        let engine = Self.engine()
        let export = FileManager.default.temporaryDirectory.appendingPathComponent("qg-\(UUID().uuidString).jsonl")
        let down = await engine.execute(MongoEngine.Job(
            uri: "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300", uriVariable: "MONGO_INSTANCE_9_URI", database: "x",
            script: "db.orders.find({})", exportURL: export))
        guard case .failure(let failure) = down else { Issue.record("reached a closed port"); return }
        #expect(failure.message.contains("No suitable servers found"))

        // libmongoc quotes the part it dislikes, which may be the password: none of it is repeated.
        for uri in ["postgres://user:hunter2@db", "mongodb://user:hun:ter2@db"] {
            let garbled = await engine.execute(MongoEngine.Job(
                uri: uri, uriVariable: "MONGO_INSTANCE_9_URI", database: "x", script: "db.orders.find({})", exportURL: export))
            guard case .failure(let bad) = garbled else { Issue.record("accepted \(uri)"); continue }
            #expect(bad.message.hasPrefix("MONGO_INSTANCE_9_URI "), "\(bad.message)")
            #expect(!bad.message.contains("hunter2") && !bad.message.contains("ter2"), "\(bad.message)")
        }

        #expect(throws: ExecutionFailure(message: "MONGO_INSTANCE_9_URI is not set where QueryGate runs, so the target cannot be reached")) {
            try MongoEngine.Job.resolve(variable: "MONGO_INSTANCE_9_URI", database: "x", script: "db.a.find({})", exportURL: export, environment: [:])
        }
    }
}
