import QueryGateCore
import Testing

@Suite("command documents")
struct MongoCommandTests {
    private func command(_ script: String, _ options: MongoCommandOptions = MongoCommandOptions()) throws
        -> MongoCommand
    {
        try parseSingle(script).command(options: options)
    }

    @Test func findWithEverything() throws {
        let command = try command(
            "db.orders.find({a: 1}, {_id: 0}).sort({b: -1}).skip(5).limit(10)",
            MongoCommandOptions(maxTimeMS: 30_000, batchSize: 100))
        #expect(command.name == "find")
        #expect(command.reply == .cursor)
        #expect(
            command.document
                == [
                    "find": "orders", "filter": ["a": 1], "projection": ["_id": 0], "sort": ["b": -1], "skip": 5,
                    "limit": 10, "batchSize": 100, "maxTimeMS": 30_000,
                ])
    }

    @Test func plainFindOmitsAbsentParts() throws {
        #expect(try command("db.orders.find()").document == ["find": "orders", "filter": [:]])
    }

    @Test func findOneIsASingleBatchOfOne() throws {
        let command = try command("db.orders.findOne({a: 1})", MongoCommandOptions(maxTimeMS: 5, batchSize: 100))
        #expect(
            command.document == ["find": "orders", "filter": ["a": 1], "limit": 1, "singleBatch": true, "maxTimeMS": 5])
        #expect(command.reply == .cursor)
    }

    @Test func aggregateCarriesCursorOptionsAndUserOptions() throws {
        let command = try command(
            "db.orders.aggregate([{$match: {a: 1}}], {allowDiskUse: true, comment: 'report'})",
            MongoCommandOptions(maxTimeMS: 1000, batchSize: 50))
        #expect(
            command.document
                == [
                    "aggregate": "orders", "pipeline": [["$match": ["a": 1]]], "cursor": ["batchSize": 50],
                    "allowDiskUse": true, "comment": "report", "maxTimeMS": 1000,
                ])
        #expect(command.reply == .cursor)
        #expect(try self.command("db.o.aggregate([{$count: 'n'}])").document["cursor"] == .document([:]))
    }

    @Test func countAndDistinct() throws {
        let options = MongoCommandOptions(maxTimeMS: 7)
        let count = try command("db.orders.countDocuments({a: 1})", options)
        #expect(count.document == ["count": "orders", "query": ["a": 1], "maxTimeMS": 7])
        #expect(count.reply == .count(field: "n"))
        let distinct = try command("db.orders.distinct('sku', {a: 1})", options)
        #expect(distinct.document == ["distinct": "orders", "key": "sku", "query": ["a": 1], "maxTimeMS": 7])
        #expect(distinct.reply == .distinct(field: "values"))
    }

    @Test func writesCarryTheTimeLimitButNoBatchSize() throws {
        let options = MongoCommandOptions(maxTimeMS: 7, batchSize: 3)
        let insertOne = try command("db.orders.insertOne({a: 1})", options)
        #expect(insertOne.document == ["insert": "orders", "documents": [["a": 1]], "ordered": true, "maxTimeMS": 7])
        #expect(insertOne.reply == .write(.insert))
        let insertMany = try command("db.orders.insertMany([{a: 1}, {a: 2}])", options)
        #expect(insertMany.document == ["insert": "orders", "documents": [["a": 1], ["a": 2]], "ordered": true, "maxTimeMS": 7])

        let updateOne = try command("db.orders.updateOne({a: 1}, {$set: {b: 2}})", options)
        #expect(
            updateOne.document
                == ["update": "orders", "updates": [["q": ["a": 1], "u": ["$set": ["b": 2]], "multi": false]], "maxTimeMS": 7])
        #expect(updateOne.reply == .write(.update))
        let updateMany = try command(
            "db.orders.updateMany({}, [{$set: {b: 2}}], {upsert: true, arrayFilters: [{x: 1}], collation: {locale: 'en'}, hint: {a: 1}})",
            options)
        #expect(
            updateMany.document
                == [
                    "update": "orders",
                    "updates": [
                        [
                            "q": [:], "u": [["$set": ["b": 2]]], "multi": true, "upsert": true,
                            "arrayFilters": [["x": 1]],
                            "collation": ["locale": "en"], "hint": ["a": 1],
                        ]
                    ],
                    "maxTimeMS": 7,
                ])

        let deleteOne = try command("db.orders.deleteOne({a: 1})", options)
        #expect(deleteOne.document == ["delete": "orders", "deletes": [["q": ["a": 1], "limit": 1]], "maxTimeMS": 7])
        #expect(deleteOne.reply == .write(.delete))
        let deleteMany = try command("db.orders.deleteMany({})", options)
        #expect(deleteMany.document == ["delete": "orders", "deletes": [["q": [:], "limit": 0]], "maxTimeMS": 7])
    }

    @Test func largeEngineNumbersBecomeInt64() throws {
        let command = try command("db.o.find().limit(NumberLong('5000000000'))", MongoCommandOptions(maxTimeMS: 1))
        #expect(command.document["limit"] == .int64(5_000_000_000))
        #expect(command.document["maxTimeMS"] == .int32(1))
    }
}
