@testable import QueryGateCore
import Testing

/// SplitMix64: a tiny deterministic generator, so a failing input can be reproduced from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("robustness on arbitrary input")
struct MongoParserFuzzTests {
    /// Characters that matter to the grammar, plus some that don't belong anywhere.
    private static let alphabet: [Character] =
        Array(
            "db.orders.find({}[]()'\"/\\*:,;$_ \n\t0123456789-+eE=>xyzObjectIdISODateNumberLongnewfunctionnullundefined"
        )
        + ["é", "😀", "\u{301}", "“", "\r\n", "\u{0}", "#", "`", "@", "!"]

    private static let validScripts = [
        "db.orders.find({status: 'shipped', total: {$gt: 100}}, {_id: 0}).sort({created_at: -1}).limit(5)",
        "db.getCollection(\"weird name\").aggregate([{$match: {a: /x+/i}}, {$group: {_id: '$b', n: {$sum: 1}}}])",
        "db['x'].updateMany({at: {$lt: ISODate('2024-01-02T03:04:05Z')}}, {$set: {n: NumberLong('5')}}, {upsert: true})",
        "// comment\ndb.a.insertMany([{_id: ObjectId('65a1f0c2e4b0a1b2c3d4e5f6'), d: NumberDecimal('1.10')},]);\n/* x */ db.a.countDocuments()",
        "db.a.find({d: {\"$date\": {\"$numberLong\": \"1\"}}, b: {\"$binary\": {\"base64\": \"AQ==\", \"subType\": \"00\"}}})",
        "db.a.deleteOne({u: UUID('c8edabc3-f738-4ca3-b68d-ab92a91478a3'), t: Timestamp(1, 2), s: 'a\\u00e9\\n'})",
        "db.a.distinct('k', {x: [1, -2.5e3, true, null, MinKey(), MaxKey()]})",
    ]

    /// Whatever the input, parsing returns or throws a well-formed error inside the input.
    private func checkParsing(_ script: String) {
        let length = script.count
        do {
            let statements = try MongoShellParser.parse(script)
            #expect(!statements.isEmpty)
            for statement in statements {
                #expect(statement.sourceRange.lowerBound >= 0 && statement.sourceRange.upperBound <= length)
                #expect(statement.line >= 1)
            }
        } catch {
            #expect(error.offset >= 0 && error.offset <= length, "\(error) for \(script.debugDescription)")
            #expect(error.line >= 1 && error.column >= 1)
            #expect(!error.message.isEmpty)
        }
    }

    @Test func validCorpusParses() throws {
        for script in Self.validScripts {
            #expect(throws: Never.self, "\(script)") { try MongoShellParser.parse(script) }
        }
    }

    @Test func randomCharacterSequences() {
        var generator = SplitMix64(seed: 0x5EED_0001)
        for _ in 0..<3000 {
            let length = Int.random(in: 0...60, using: &generator)
            let script = String((0..<length).map { _ in Self.alphabet.randomElement(using: &generator)! })
            checkParsing(script)
        }
    }

    @Test func randomBytesDecodedAsUTF8() {
        var generator = SplitMix64(seed: 0x5EED_0002)
        for _ in 0..<1000 {
            let bytes = (0..<Int.random(in: 0...80, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            checkParsing(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func mutationsOfValidStatements() {
        var generator = SplitMix64(seed: 0x5EED_0003)
        for _ in 0..<4000 {
            var characters = Array(Self.validScripts.randomElement(using: &generator)!)
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                mutate(&characters, using: &generator)
            }
            checkParsing(String(characters))
        }
    }

    /// Refused operators, spelled the ways a request could try to hide them.
    private static let disguisedOperators = [
        "$where: 'x'", "\"$where\": 1", "'\\u0024where': 1", "\"\\u0024function\": {}", "$accumulator: {init: 'f'}",
        "x: {$function: {body: 'f'}}", "a: [{$where: 1}]", "\"$wh\\u0065re\": 2", "$expr: {$function: {}}",
    ]

    /// Whatever a mutated request looks like, if it parses and the policy lets it through, no refused operator is
    /// anywhere in what would be sent.
    @Test func nothingThePolicyPassesCarriesARefusedOperator() {
        var generator = SplitMix64(seed: 0x5EED_0004)
        var passed = 0
        var refused = 0
        for _ in 0..<4000 {
            var characters = Array(Self.validScripts.randomElement(using: &generator)!)
            let braces = characters.indices.filter { characters[$0] == "{" }
            if let brace = braces.randomElement(using: &generator) {
                let fragment = Self.disguisedOperators.randomElement(using: &generator)!
                characters.insert(contentsOf: Array(fragment + ", "), at: brace + 1)
            }
            if Bool.random(using: &generator) { mutate(&characters, using: &generator) }
            guard let statements = try? MongoShellParser.parse(String(characters)) else { continue }
            guard (try? MongoStatementPolicy.check(statements, database: "app")) != nil else {
                refused += 1
                continue
            }
            passed += 1
            for statement in statements {
                let keys = statement.operation.inspectedValues.reduce(into: Set<String>()) { $0.formUnion(Self.keys(in: $1.value)) }
                #expect(keys.isDisjoint(with: MongoStatementPolicy.javaScriptOperators), "\(String(characters).debugDescription)")
            }
        }
        // Most disguises parse and reach the policy; mutations that break one leave requests that get through.
        #expect(refused > 1000)
        #expect(passed > 20)
    }

    private static func keys(in value: MongoValue) -> Set<String> {
        switch value {
        case .document(let document):
            document.fields.reduce(into: Set(document.keys)) { $0.formUnion(keys(in: $1.value)) }
        case .array(let elements):
            elements.reduce(into: Set<String>()) { $0.formUnion(keys(in: $1)) }
        default:
            []
        }
    }

    private func mutate(_ characters: inout [Character], using generator: inout SplitMix64) {
        let position = Int.random(in: 0...characters.count, using: &generator)
        switch Int.random(in: 0..<5, using: &generator) {
        case 0:  // insert a character
            characters.insert(Self.alphabet.randomElement(using: &generator)!, at: position)
        case 1:  // delete a short range
            let end = min(characters.count, position + Int.random(in: 1...5, using: &generator))
            characters.removeSubrange(position..<end)
        case 2:  // truncate
            characters.removeSubrange(position...)
        case 3:  // duplicate a slice somewhere else
            let end = min(characters.count, position + Int.random(in: 1...12, using: &generator))
            let slice = characters[position..<end]
            characters.insert(contentsOf: slice, at: Int.random(in: 0...characters.count, using: &generator))
        default:  // replace a character
            if position < characters.count {
                characters[position] = Self.alphabet.randomElement(using: &generator)!
            }
        }
    }

    @Test(arguments: ["[", "{a:", "(", "ObjectId(", "new Date(", "-", "/*", "'", "\\"])
    func hugeRepetitionsFailWithoutExhaustingTheStack(unit: String) throws {
        let script = "db.c.find(" + String(repeating: unit, count: 100_000)
        let error = try parseError(script)
        #expect(error.offset <= script.count)
    }

    @Test func longScriptsParseInLinearTime() throws {
        let count = 5_000
        let script = (1...count).map { "db.orders.find({n: \($0)})" }.joined(separator: "\n")
        let clock = ContinuousClock()
        var statements: [MongoStatement] = []
        let elapsed = try clock.measure { statements = try MongoShellParser.parse(script) }
        #expect(statements.count == count)
        #expect(statements.last?.line == count)
        #expect(statements.last?.operation == .find(MongoFindOperation(filter: ["n": .int32(Int32(count))])))
        #expect(elapsed < .seconds(10), "a quadratic step would take minutes here")
    }

    @Test func deepButLegalNestingParses() throws {
        let value = String(repeating: "[", count: 99) + String(repeating: "]", count: 99)
        let statement = try parseSingle("db.c.find({a: \(value)})")
        guard case .find(let find) = statement.operation, var current = find.filter["a"] else {
            Issue.record("expected find with a nested array")
            return
        }
        var depth = 0
        while case .array(let elements) = current, let first = elements.first {
            current = first
            depth += 1
        }
        #expect(depth == 98)
        #expect(current == .array([]))
    }
}
