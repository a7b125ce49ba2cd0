import QueryGateCore
import Testing

@Suite("mongosh statements")
struct MongoShellParserTests {
    @Test func findWithFilterProjectionAndCursorMethods() throws {
        let statement = try parseSingle(
            "db.orders.find({status: 'shipped', total: {$gt: 100}}, {_id: 0}).sort({created_at: -1}).limit(5)")
        #expect(statement.collection == "orders")
        let expected = MongoFindOperation(
            filter: MongoDocument([("status", .string("shipped")), ("total", .document(["$gt": .int32(100)]))]),
            projection: ["_id": .int32(0)],
            sort: ["created_at": .int32(-1)],
            limit: 5)
        #expect(statement.operation == .find(expected))
        #expect(statement.isReadOnly)
        #expect(statement.line == 1)
        #expect(statement.text.hasPrefix("db.orders.find(") && statement.text.hasSuffix(".limit(5)"))
    }

    @Test func cursorMethodsInAnyOrderAndOnContinuationLines() throws {
        let statement = try parseSingle(
            """
            db.orders.find()
              .skip(NumberLong(20))
              .limit(10)
              .sort({a: 1, b: -1})
            """)
        guard case .find(let find) = statement.operation else {
            Issue.record("expected find, got \(statement.operation)")
            return
        }
        #expect(find.filter.isEmpty)
        #expect(find.projection == nil)
        #expect(find.skip == 20)
        #expect(find.limit == 10)
        #expect(find.sort?.keys == ["a", "b"])
    }

    @Test func everyMethodParsesToItsOperation() throws {
        let cases: [(String, MongoOperation)] = [
            ("db.c.findOne()", .findOne(filter: [:], projection: nil)),
            ("db.c.findOne({a: 1}, {b: 1})", .findOne(filter: ["a": 1], projection: ["b": 1])),
            (
                "db.c.aggregate([{$match: {a: 1}}, {$group: {_id: '$b', n: {$sum: 1}}}], {allowDiskUse: true})",
                .aggregate(
                    pipeline: [["$match": ["a": 1]], ["$group": ["_id": "$b", "n": ["$sum": 1]]]],
                    options: ["allowDiskUse": true])
            ),
            ("db.c.aggregate([])", .aggregate(pipeline: [], options: [:])),
            ("db.c.countDocuments()", .countDocuments(filter: [:])),
            ("db.c.countDocuments({a: null})", .countDocuments(filter: ["a": .null])),
            ("db.c.distinct('status')", .distinct(field: "status", filter: [:])),
            ("db.c.distinct('status', {x: true})", .distinct(field: "status", filter: ["x": true])),
            ("db.c.insertOne({a: 1.5})", .insertOne(["a": 1.5])),
            ("db.c.insertMany([{a: 1}, {a: 2},])", .insertMany([["a": 1], ["a": 2]])),
            (
                "db.c.updateOne({a: 1}, {$set: {b: 2}})",
                .updateOne(MongoUpdateOperation(filter: ["a": 1], modification: .operators(["$set": ["b": 2]])))
            ),
            (
                "db.c.updateMany({}, [{$set: {b: '$a'}}], {upsert: true, arrayFilters: [{'e.x': 1}], collation: {locale: 'fr'}, hint: 'a_1'})",
                .updateMany(
                    MongoUpdateOperation(
                        filter: [:], modification: .pipeline([["$set": ["b": "$a"]]]), upsert: true,
                        arrayFilters: [["e.x": 1]], collation: ["locale": "fr"], hint: "a_1"))
            ),
            ("db.c.deleteOne({_id: 3})", .deleteOne(filter: ["_id": 3])),
            ("db.c.deleteMany({})", .deleteMany(filter: [:])),
        ]
        for (script, expected) in cases {
            let statement = try parseSingle(script)
            #expect(statement.operation == expected, "\(script)")
            #expect(statement.operation.methodName == script.split(separator: ".")[2].prefix { $0 != "(" }.description)
        }
    }

    @Test func collectionAccessForms() throws {
        let cases: [(String, String)] = [
            ("db.orders.find()", "orders"),
            ("db.getCollection(\"weird name\").find()", "weird name"),
            ("db[\"weird-name\"].find()", "weird-name"),
            ("db['x'].find()", "x"),
            ("db.orders.archive.find()", "orders.archive"),
            ("db.drop.find()", "drop"),
        ]
        for (script, collection) in cases {
            #expect(try parseSingle(script).collection == collection, "\(script)")
        }
    }

    @Test func multiStatementScriptsWithCommentsAndSeparators() throws {
        let script = """
            // find the backlog
            db.orders.find({status: "new"});;
            /* then count
               what shipped */
            db.orders.countDocuments({status: "shipped"}); db.orders.distinct("sku")

            db.orders.deleteOne({_id: 1}) // trailing comment
            """
        let statements = try MongoShellParser.parse(script)
        #expect(statements.map(\.operation.methodName) == ["find", "countDocuments", "distinct", "deleteOne"])
        #expect(statements.map(\.line) == [2, 5, 5, 7])
        #expect(statements[1].text == "db.orders.countDocuments({status: \"shipped\"})")
        #expect(statements[2].text == "db.orders.distinct(\"sku\")")
        let characters = Array(script)
        for statement in statements {
            #expect(String(characters[statement.sourceRange]) == statement.text)
        }
    }

    @Test func trailingCommasAndQuotedKeys() throws {
        let statement = try parseSingle(
            "db.c.find({'items.sku': 'A', \"$and\": [1, 2,], _x: {$in: [true, false,],},},)")
        #expect(
            statement.operation
                == .find(
                    MongoFindOperation(
                        filter: MongoDocument([
                            ("items.sku", "A"), ("$and", [1, 2]), ("_x", ["$in": [true, false]]),
                        ]))))
    }

    @Test func numbersAreTypedLikeMongosh() throws {
        let value = try MongoShellParser.parseValue(
            "[0, -7, 2147483647, 2147483648, -2147483648, -2147483649, 9223372036854775807, 9223372036854775808, 1.0, 1e3, -2.5E-2, Infinity, -Infinity]"
        )
        #expect(
            value
                == .array([
                    .int32(0), .int32(-7), .int32(Int32.max), .int64(2_147_483_648), .int32(Int32.min),
                    .int64(-2_147_483_649), .int64(Int64.max), .double(9_223_372_036_854_775_808), .double(1),
                    .double(1000), .double(-0.025), .double(.infinity), .double(-.infinity),
                ]))
        guard case .double(let nan) = try MongoShellParser.parseValue("NaN") else {
            Issue.record("NaN should be a double")
            return
        }
        #expect(nan.isNaN)
    }

    @Test func stringEscapes() throws {
        let value = try MongoShellParser.parseValue(
            #"["a\nb\t\"q\" \'s\' \\ \/", 'it\'s', "\u00e9\u{1F600}\uD83D\uDE00", "\x41\0", "line\\#ncontinued"]"#)
        #expect(
            value
                == .array([
                    .string("a\nb\t\"q\" 's' \\ /"), .string("it's"), .string("é😀😀"), .string("A\u{0}"),
                    .string("linecontinued"),
                ]))
    }

    @Test func regexLiteralsKeepThePatternAndSortFlags() throws {
        let value = try MongoShellParser.parseValue(#"{a: /^ab\/c[/]d/xsmi, b: /x/u, c: /y/}"#)
        #expect(
            value
                == [
                    "a": .regex(pattern: #"^ab\/c[/]d"#, options: "imsx"), "b": .regex(pattern: "x", options: ""),
                    "c": .regex(pattern: "y", options: ""),
                ])
    }

    @Test func regexVersusDivisionDependsOnContext() throws {
        // After ':' a value is expected, so '/' starts a regex; after a value it would divide.
        #expect(try MongoShellParser.parseValue("{a: /2/}") == ["a": .regex(pattern: "2", options: "")])
        let error = try parseError("db.c.find({a: 4 /2/})")
        #expect(error.column == 17)
        #expect(error.message.contains("arithmetic"))
    }

    @Test func keywordsAndUnicodeKeys() throws {
        let value = try MongoShellParser.parseValue("{true: true, null: null, café: 'ok', $gt: false, 0: 1}")
        #expect(
            value
                == MongoValue.document(
                    MongoDocument([("true", true), ("null", .null), ("café", "ok"), ("$gt", false), ("0", 1)])))
        #expect(throws: MongoParseError.self) { try MongoShellParser.parseValue("{1.5: 1}") }
    }
}
