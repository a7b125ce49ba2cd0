import QueryGateCore
import Testing

@Suite("safety policy and read/write classification")
struct MongoStatementPolicyTests {
    static let database = "app"

    /// Methods and literals the parser itself refuses, with the reason in the message.
    @Test(arguments: [
        (
            "db.orders.mapReduce(function() {}, function() {})", 1, 11,
            "mapReduce() is not allowed: server-side JavaScript"
        ),
        ("db.eval('1')", 1, 4, "db.eval() is not allowed: server-side JavaScript"),
        ("db.runCommand({dropDatabase: 1})", 1, 4, "db.runCommand() is not allowed: arbitrary database commands"),
        ("db.adminCommand({listDatabases: 1})", 1, 4, "db.adminCommand() is not allowed"),
        ("db.getSiblingDB('admin').users.find()", 1, 4, "db.getSiblingDB() is not allowed"),
        ("db.getMongo()", 1, 4, "db.getMongo() is not allowed"),
        ("db.dropDatabase()", 1, 4, "db.dropDatabase() is not allowed: dropping databases"),
        ("db.orders.drop()", 1, 11, "drop() is not allowed: dropping databases or collections"),
        ("db.orders.runCommand({})", 1, 11, "runCommand() is not allowed"),
        ("db.orders.find({$where: function() { return true }})", 1, 25, "server-side JavaScript is not allowed"),
        ("db.orders.find({a: (x) => x})", 1, 20, "server-side JavaScript is not allowed"),
        ("db.orders.find({a: () => 1})", 1, 20, "server-side JavaScript is not allowed"),
        ("db.orders.find({a: x => x})", 1, 20, "server-side JavaScript is not allowed"),
        ("function f() { return db.orders.find() }", 1, 1, "server-side JavaScript is not allowed"),
        ("db.orders.find({a: (1)})", 1, 20, "expected a value, found '('"),
    ])
    func parserRefusals(script: String, line: Int, column: Int, fragment: String) throws {
        let error = try parseError(script)
        #expect((error.line, error.column) == (line, column), "\(error)")
        #expect(error.message.contains(fragment), "\(error)")
    }

    @Test(arguments: [
        ("db.orders.find({$where: 'this.a > 1'})", "filter.$where", "$where is not allowed"),
        ("db.orders.find({$or: [{a: 1}, {$where: 'x'}]})", "filter.$or.1.$where", "$where is not allowed"),
        (
            "db.orders.find({}, {x: {$function: {body: 'f', args: [], lang: 'js'}}})", "projection.x.$function",
            "$function is not allowed"
        ),
        ("db.orders.find({}).sort({$where: 1})", "sort.$where", "$where"),
        ("db.orders.findOne({a: {$elemMatch: {$where: 'x'}}})", "filter.a.$elemMatch.$where", "$where"),
        (
            "db.orders.aggregate([{$group: {_id: null, x: {$accumulator: {}}}}])", "pipeline.0.$group.x.$accumulator",
            "$accumulator is not allowed"
        ),
        ("db.orders.aggregate([{$match: {}}], {let: {v: {$function: {}}}})", "options.let.v.$function", "$function"),
        ("db.orders.updateOne({}, [{$set: {a: {$function: {}}}}])", "update.0.$set.a.$function", "$function"),
        ("db.orders.updateMany({$where: 'x'}, {$set: {a: 1}})", "filter.$where", "$where"),
        (
            "db.orders.updateOne({}, {$set: {a: 1}}, {arrayFilters: [{'e.$where': 1, $where: 'x'}]})",
            "arrayFilters.0.$where", "$where"
        ),
        ("db.orders.insertOne({a: {$where: 1}})", "document.a.$where", "$where"),
        ("db.orders.insertMany([{}, {b: [{$function: 1}]}])", "documents.1.b.0.$function", "$function"),
        ("db.orders.deleteMany({$expr: {$function: {}}})", "filter.$expr.$function", "$function"),
        ("db.orders.countDocuments({$where: 'x'})", "filter.$where", "$where"),
        ("db.orders.distinct('a', {$where: 'x'})", "filter.$where", "$where"),
        (
            "db.orders.aggregate([{$out: {db: 'other', coll: 'x'}}])", "pipeline.0.$out",
            "$out with another database (\"other\")"
        ),
        (
            "db.orders.aggregate([{$merge: {into: {db: 'other', coll: 'x'}}}])", "pipeline.0.$merge",
            "$merge with another database"
        ),
        (
            "db.orders.aggregate([{$lookup: {from: {db: 'other', coll: 'x'}, as: 'y', pipeline: []}}])",
            "pipeline.0.$lookup", "$lookup with another database"
        ),
        (
            "db.orders.aggregate([{$graphLookup: {from: {db: 'other', coll: 'x'}}}])", "pipeline.0.$graphLookup",
            "$graphLookup with another database"
        ),
        (
            "db.orders.aggregate([{$unionWith: {coll: {db: 'other', coll: 'x'}}}])", "pipeline.0.$unionWith",
            "$unionWith with another database"
        ),
        ("db.orders.aggregate([{$unionWith: {db: 'other', coll: 'x'}}])", "pipeline.0.$unionWith", "$unionWith"),
        (
            "db.orders.aggregate([{$facet: {a: [{$lookup: {from: {db: 'x', coll: 'y'}}}]}}])",
            "pipeline.0.$facet.a.0.$lookup", "$lookup with another database (\"x\")"
        ),
        ("db.orders.aggregate([{$out: {db: 1, coll: 'x'}}])", "pipeline.0.$out", "another database (1)"),
        ("db.orders.aggregate([{$lookup: {from: 'system.js', as: 'f'}}])", "pipeline.0.$lookup", "system collections"),
        ("db.orders.aggregate([{$unionWith: 'system.profile'}])", "pipeline.0.$unionWith", "system collections"),
        ("db.orders.aggregate([{$unionWith: {coll: 'system.users', pipeline: []}}])", "pipeline.0.$unionWith", "system collections"),
        ("db.orders.aggregate([{$out: 'system.js'}])", "pipeline.0.$out", "system collections"),
        ("db.orders.aggregate([{$merge: {into: {db: 'app', coll: 'system.views'}}}])", "pipeline.0.$merge", "system collections"),
        ("db.orders.aggregate([{$graphLookup: {from: 'system.buckets.x'}}])", "pipeline.0.$graphLookup", "system collections"),
    ])
    func policyRefusals(script: String, path: String, fragment: String) throws {
        let statements = try MongoShellParser.parse(script)
        #expect {
            try MongoStatementPolicy.check(statements, database: Self.database)
        } throws: { error in
            guard let violation = error as? MongoPolicyViolation else { return false }
            return violation.path == path && violation.message.contains(fragment) && violation.statementIndex == 0
                && violation.line == 1
        }
    }

    @Test func violationNamesTheStatementAndLine() throws {
        let statements = try MongoShellParser.parse("db.a.find({})\n\ndb.b.find({$where: 'x'})")
        do {
            try MongoStatementPolicy.check(statements, database: Self.database)
            Issue.record("expected a violation")
        } catch {
            #expect(error.statementIndex == 1)
            #expect(error.line == 3)
            #expect(error.position == MongoSourcePosition(line: 3, column: 12))
            #expect(error.description.hasPrefix("statement 2 (line 3, column 12), at filter.$where: $where is not allowed"))
        }
    }

    @Test(arguments: [
        ("db.orders.aggregate([{$match: {}}, {$out: 'archive'}])", false),
        ("db.orders.aggregate([{$out: {db: 'app', coll: 'archive'}}])", false),
        ("db.orders.aggregate([{$merge: 'archive'}])", false),
        ("db.orders.aggregate([{$merge: {into: 'archive', on: '_id'}}])", false),
        ("db.orders.aggregate([{$merge: {into: {db: 'app', coll: 'archive'}}}])", false),
        ("db.orders.aggregate([{$lookup: {from: 'items', localField: 'a', foreignField: 'b', as: 'c'}}])", true),
        ("db.orders.aggregate([{$unionWith: 'items'}])", true),
        ("db.orders.aggregate([{$match: {db: 'other'}}])", true),
        ("db.orders.find({out: '$out'})", true),
        ("db.orders.findOne()", true),
        ("db.orders.countDocuments()", true),
        ("db.orders.distinct('a')", true),
        ("db.orders.insertOne({})", false),
        ("db.orders.insertMany([{}])", false),
        ("db.orders.updateOne({}, {$set: {a: 1}})", false),
        ("db.orders.updateMany({}, {$set: {a: 1}})", false),
        ("db.orders.deleteOne({})", false),
        ("db.orders.deleteMany({})", false),
    ])
    func allowedStatementsAndTheirClassification(script: String, isReadOnly: Bool) throws {
        let statements = try MongoShellParser.parse(script)
        try MongoStatementPolicy.check(statements, database: Self.database)
        #expect(statements[0].isReadOnly == isReadOnly)
        #expect(RiskAnalysis.assess(mongo: script).isReadOnly == isReadOnly)
    }

    @Test func theRiskOfAScriptNamesItsWrites() throws {
        let risk = RiskAnalysis.assess(mongo: """
            db.orders.find()
            db.orders.updateMany({}, {$set: {a: 1}})
            db.logs.aggregate([{$out: 'old_logs'}])
            """)
        #expect(risk.level == .dangerous)
        #expect(risk.warnings == [
            "statement 2: updateMany with an empty filter changes every document of orders",
            "statement 3: the aggregation writes its result into \"old_logs\"",
            "MongoDB runs a script statement by statement, not as one transaction: if one fails, the writes before it stay",
        ])
    }
}
