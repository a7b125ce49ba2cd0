import QueryGateCore
import Testing

/// MongoDB's share of the hostile-request corpus: server-side JavaScript and other databases' or system collections,
/// however disguised, are refused at submission, and the refusal says where (line and column of the offending key)
/// as the parser's own errors do.
@Suite("Hostile MongoDB requests")
struct MongoHostileCorpusTests {
    struct Attempt: Sendable, CustomTestStringConvertible {
        let name: String
        let script: String
        /// "line L, column C: …" as the requester reads it.
        let location: String
        let fragment: String
        var testDescription: String { name }
    }

    static let attempts: [Attempt] = [
        Attempt(name: "$where", script: "db.orders.find({$where: 'sleep(1000)'})", location: "line 1, column 17", fragment: "$where is not allowed"),
        Attempt(name: "$where quoted", script: "db.orders.find({\"$where\": 'true'})", location: "line 1, column 17", fragment: "$where is not allowed"),
        Attempt(name: "$where single-quoted", script: "db.orders.find({'$where': 'true'})", location: "line 1, column 17", fragment: "$where is not allowed"),
        Attempt(name: "$where escaped", script: #"db.orders.find({"\u0024where": 'true'})"#, location: "line 1, column 17", fragment: "$where is not allowed"),
        Attempt(name: "$where deep in $or", script: "db.orders.find({$or: [{a: 1}, {b: {$elemMatch: {$where: 'x'}}}]})",
                location: "line 1, column 49", fragment: "$where is not allowed"),
        Attempt(name: "$where after comments", script: "db.orders.find({ /* look away */\n  // here\n  $where: 'x'})",
                location: "line 3, column 3", fragment: "$where is not allowed"),
        Attempt(name: "$where in the second statement", script: "db.orders.find({})\ndb.orders.countDocuments({a: 1, $where: 'x'})",
                location: "statement 2, line 2, column 33", fragment: "$where is not allowed"),
        Attempt(name: "$function in $expr", script: "db.orders.find({$expr: {$function: {body: 'f', args: [], lang: 'js'}}})",
                location: "line 1, column 25", fragment: "$function is not allowed"),
        Attempt(name: "$function in a projection", script: "db.orders.find({}, {x: {$function: {}}})", location: "line 1, column 25",
                fragment: "$function is not allowed"),
        Attempt(name: "$accumulator in $group", script: "db.orders.aggregate([\n  {$group: {_id: null, x: {$accumulator: {}}}}\n])",
                location: "line 2, column 28", fragment: "$accumulator is not allowed"),
        Attempt(name: "$function in an update pipeline", script: "db.orders.updateOne({}, [{$set: {a: {$function: {}}}}])",
                location: "line 1, column 38", fragment: "$function is not allowed"),
        Attempt(name: "$where in a delete", script: "db.orders.deleteMany({$where: 'true'})", location: "line 1, column 23", fragment: "$where"),
        Attempt(name: "$lookup into system.users", script: "db.orders.aggregate([{$lookup: {from: 'system.users', as: 'u'}}])",
                location: "line 1, column 23", fragment: "system collections"),
        Attempt(name: "$unionWith system.js", script: "db.orders.aggregate([{$unionWith: {coll: 'system.js'}}])", location: "line 1, column 23",
                fragment: "system collections"),
        Attempt(name: "$out into another database", script: "db.orders.aggregate([{$out: {db: 'admin', coll: 'x'}}])", location: "line 1, column 23",
                fragment: "another database"),
        Attempt(name: "$merge into another database", script: "db.orders.aggregate([{$merge: {into: {db: 'other', coll: 'x'}}}])",
                location: "line 1, column 23", fragment: "another database"),
        Attempt(name: "$graphLookup system.profile", script: "db.orders.aggregate([{$graphLookup: {from: 'system.profile'}}])",
                location: "line 1, column 23", fragment: "system collections"),
        Attempt(name: "function literal", script: "db.orders.find({a: function() { return 1 }})", location: "line 1, column 20",
                fragment: "server-side JavaScript"),
        Attempt(name: "runCommand", script: "db.runCommand({eval: 'x'})", location: "line 1, column 4", fragment: "is not allowed"),
        Attempt(name: "getSiblingDB", script: "db.getSiblingDB('admin').system.users.find({})", location: "line 1, column 4", fragment: "is not allowed"),
    ]

    @Test("Refused at submission, with where", arguments: attempts)
    func refused(_ attempt: Attempt) {
        #expect {
            try MongoRequest.validate(attempt.script, type: .script, database: "app")
        } throws: { error in
            guard let error = error as? ValidationError else { return false }
            return error.field == "query" && error.message.hasPrefix(attempt.location + ": ") && error.message.contains(attempt.fragment)
        }
    }
}
