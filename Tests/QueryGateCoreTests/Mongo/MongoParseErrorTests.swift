import QueryGateCore
import Testing

@Suite("parse errors point at the offending token")
struct MongoParseErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let script: String
        let line: Int
        let column: Int
        let fragment: String
        var testDescription: String { fragment }
    }

    static let deeplyNested =
        "db.c.find({a: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "})"

    static let cases: [Case] = [
        Case(
            script: "db.orders.find({status 'shipped'})", line: 1, column: 24,
            fragment: "expected ':' after the key \"status\""),
        Case(script: "db.orders.find({status: \"shipped})", line: 1, column: 25, fragment: "unterminated string"),
        Case(script: "db.orders.find({status: 'a\nb'})", line: 1, column: 25, fragment: "unterminated string"),
        Case(
            script: "db.orders.find({status: 1)", line: 1, column: 26,
            fragment: "expected ',' or '}' after the value of \"status\", found ')'"),
        Case(
            script: "db.orders.find({\n  status: 1\n", line: 3, column: 1,
            fragment: "expected '}' to close the document opened at line 1, column 16"),
        Case(
            script: "db.orders.find([1, 2", line: 1, column: 21,
            fragment: "expected ']' to close the array opened at line 1, column 16"),
        Case(
            script: "db.orders.find({}", line: 1, column: 18,
            fragment: "expected ')' to close the argument list opened at line 1, column 15"),
        Case(
            script: "db.orders.find({_id: ObjectId(\"zz\")})", line: 1, column: 31, fragment: "invalid ObjectId \"zz\""),
        Case(
            script: "db.orders.fnd({})", line: 1, column: 11,
            fragment: "unknown method fnd(); supported methods are find, findOne, aggregate"),
        Case(script: "db.orders.find({}) x", line: 1, column: 20, fragment: "after the end of the statement"),
        Case(
            script: "db.orders.find({}) db.orders.find({})", line: 1, column: 20,
            fragment: "unexpected 'db' after the end of the statement"),
        Case(
            script: "db.orders.find({name: /abc/gi})", line: 1, column: 28,
            fragment: "unsupported regular expression flag 'g'"),
        Case(script: "db.orders.find({name: /abc/ii})", line: 1, column: 29, fragment: "flag 'i' is repeated"),
        Case(script: "db.orders.find({name: /abc})", line: 1, column: 23, fragment: "unterminated regular expression"),
        Case(script: "db.orders.find({a: 1, a: 2})", line: 1, column: 23, fragment: "duplicate key \"a\""),
        Case(script: deeplyNested, line: 1, column: 114, fragment: "nested more than 100 levels"),
        Case(script: "db.c.find({d: ISODate(\"2024-13-01\")})", line: 1, column: 23, fragment: "invalid date"),
        Case(
            script: "  // nothing here\n", line: 2, column: 1,
            fragment: "expected a statement such as db.orders.find({})"),
        Case(script: "", line: 1, column: 1, fragment: "expected a statement"),
        Case(script: "db.a.find({})\ndb.b.find({x: })", line: 2, column: 15, fragment: "expected a value, found '}'"),
        Case(script: "db.a.find({}) /* oops", line: 1, column: 15, fragment: "unterminated comment"),
        Case(script: "db.a.find({items.sku: 1})", line: 1, column: 17, fragment: "keys containing '.' must be quoted"),
        Case(
            script: "db.a.updateOne({}, {$set: {a: 1}}, {multi: true})", line: 1, column: 36,
            fragment: "unsupported updateOne option \"multi\""),
        Case(
            script: "db.a.aggregate([{$match: {}}], {out: 'x'})", line: 1, column: 32,
            fragment: "unsupported aggregate option \"out\""),
        Case(
            script: "db.a.updateOne({}, {$set: {a: 1}}, {upsert: 1})", line: 1, column: 36,
            fragment: "option upsert must be true or false"),
        Case(
            script: "db.a.updateOne({}, [])", line: 1, column: 20,
            fragment: "updateOne needs at least one pipeline stage"),
        Case(script: "db.a.find({}, {}, {})", line: 1, column: 19, fragment: "too many arguments to find"),
        Case(script: "db.a.find('x')", line: 1, column: 11, fragment: "find expects the filter to be a document"),
        Case(
            script: "db.a.aggregate({$match: {}})", line: 1, column: 16,
            fragment: "aggregate expects the pipeline to be an array"),
        Case(
            script: "db.a.aggregate([{$match: {}, $limit: 1}])", line: 1, column: 16,
            fragment: "stage 0 of the pipeline must be a document with exactly one stage"),
        Case(
            script: "db.a.aggregate([{$match: {}}]).limit(1)", line: 1, column: 32,
            fragment: "limit() cannot follow aggregate()"),
        Case(script: "db.a.find().pretty()", line: 1, column: 13, fragment: "unknown cursor method pretty()"),
        Case(script: "db.a.find().limit(1).limit(2)", line: 1, column: 22, fragment: "limit() is applied twice"),
        Case(
            script: "db.a.find({}).limit(-1)", line: 1, column: 21, fragment: "limit expects a whole number between 0"),
        Case(script: "db.a.find({name: “x”})", line: 1, column: 18, fragment: "curly quote"),
        Case(
            script: "db.a.updateOne({}, {a: 1})", line: 1, column: 20,
            fragment: "replacement documents are not supported"),
        Case(script: "db.a.find({\"😀\": 1, x})", line: 1, column: 21, fragment: "expected ':' after the key \"x\""),
        Case(script: "db.a.deleteMany()", line: 1, column: 17, fragment: "missing argument to deleteMany"),
        Case(script: "db.a.find({a: 01})", line: 1, column: 15, fragment: "numbers cannot start with 0"),
        Case(script: "db.a.find({a: 1e})", line: 1, column: 17, fragment: "expected digits in the exponent"),
        Case(
            script: "db.a.find({a: 12px})", line: 1, column: 17, fragment: "unexpected character 'p' after the number"),
        Case(
            script: "db.a.find({a: undefined})", line: 1, column: 15, fragment: "undefined is not supported; use null"),
        Case(script: "db.a.find({a: shipped})", line: 1, column: 15, fragment: "strings must be quoted"),
        Case(script: "db.a.find({a: \"\\d\"})", line: 1, column: 16, fragment: "unknown escape '\\d'"),
        Case(script: "db.a.find({a: \"\\uD800\"})", line: 1, column: 16, fragment: "unpaired UTF-16 surrogate"),
        Case(script: "db.a.find({d: new Date()})", line: 1, column: 24, fragment: "missing argument to Date"),
        Case(script: "db.a.find({a: - 'x'})", line: 1, column: 17, fragment: "expected a number after '-'"),
        Case(script: "db.a.find({a: #1})", line: 1, column: 15, fragment: "unexpected character '#'"),
        Case(
            script: "use admin", line: 1, column: 1,
            fragment: "expected a statement such as db.orders.find({}), found 'use'"),
        Case(script: "db.orders", line: 1, column: 10, fragment: "expected a method call such as db.orders.find({})"),
        Case(script: "db.orders.find", line: 1, column: 15, fragment: "expected '(' to call find"),
        Case(
            script: "db.getCollectionNames()", line: 1, column: 4, fragment: "db.getCollectionNames() is not supported"),
        Case(script: "db[\"\"].find()", line: 1, column: 4, fragment: "the collection name is empty"),
        Case(script: "db.system.users.find()", line: 1, column: 4, fragment: "system collections"),
        Case(script: "db.getCollection('a$b').find()", line: 1, column: 18, fragment: "cannot contain '$'"),
        Case(
            script: "db.a.find({\"a\\u0000b\": 1})", line: 1, column: 12,
            fragment: "keys cannot contain the NUL character"),
        Case(script: "db.a\r\n.find({}) /", line: 2, column: 11, fragment: "arithmetic is not supported"),
    ]

    @Test(arguments: cases)
    func malformedInput(_ testCase: Case) throws {
        let error = try parseError(testCase.script)
        #expect(error.line == testCase.line, "\(error)")
        #expect(error.column == testCase.column, "\(error)")
        #expect(error.message.contains(testCase.fragment), "\(error)")
        #expect(error.description == "line \(testCase.line), column \(testCase.column): \(error.message)")
    }

    @Test func offsetCountsCharactersNotBytes() throws {
        let error = try parseError("db.a.find({é: 'ü', \"😀\": 1 2})")
        // 26 characters precede the "2", although they take 32 UTF-8 bytes.
        #expect(error.offset == 26)
        #expect(error.column == 27)
    }

    @Test func overlongScriptIsRefusedUpFront() throws {
        let script = String(repeating: " ", count: MongoShellParser.maximumScriptLength) + "db.a.find()"
        let error = try parseError(script)
        #expect(error.message.contains("longer than"))
        #expect(error.offset == MongoShellParser.maximumScriptLength)
    }
}
