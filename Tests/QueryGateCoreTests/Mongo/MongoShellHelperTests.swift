import QueryGateCore
import Testing

@Suite("shell helpers and Extended JSON input")
struct MongoShellHelperTests {
    private let objectIdHex = "65a1f0c2e4b0a1b2c3d4e5f6"
    private let uuidBytes: [UInt8] = [
        0xC8, 0xED, 0xAB, 0xC3, 0xF7, 0x38, 0x4C, 0xA3, 0xB6, 0x8D, 0xAB, 0x92, 0xA9, 0x14, 0x78, 0xA3,
    ]
    private let objectIdBytes: [UInt8] = [0x65, 0xA1, 0xF0, 0xC2, 0xE4, 0xB0, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6]

    @Test func objectIdFromHelperAndExtendedJSON() throws {
        let expected = MongoValue.objectId(try #require(MongoObjectID(bytes: objectIdBytes)))
        #expect(try MongoShellParser.parseValue("ObjectId('\(objectIdHex)')") == expected)
        #expect(try MongoShellParser.parseValue("new ObjectId(\"\(objectIdHex.uppercased())\")") == expected)
        #expect(try MongoShellParser.parseValue("{\"$oid\": \"\(objectIdHex)\"}") == expected)
        #expect(MongoObjectID(bytes: objectIdBytes)?.hexString == objectIdHex)
    }

    @Test(arguments: [
        ("ISODate(\"2024-01-02T03:04:05Z\")", utcMilliseconds(2024, 1, 2, 3, 4, 5)),
        ("ISODate(\"2024-01-02\")", utcMilliseconds(2024, 1, 2)),
        ("ISODate('2024-02-29T23:59:59.123Z')", utcMilliseconds(2024, 2, 29, 23, 59, 59, 123)),
        ("ISODate('2024-01-02T03:04:05.5Z')", utcMilliseconds(2024, 1, 2, 3, 4, 5, 500)),
        ("ISODate('2024-01-02T03:04:05.123456789Z')", utcMilliseconds(2024, 1, 2, 3, 4, 5, 123)),
        ("ISODate('2024-01-02T03:04:05+02:00')", utcMilliseconds(2024, 1, 2, 1, 4, 5)),
        ("ISODate('2024-01-02T03:04:05-0530')", utcMilliseconds(2024, 1, 2, 8, 34, 5)),
        ("ISODate('2024-01-02 03:04')", utcMilliseconds(2024, 1, 2, 3, 4)),
        ("new Date('1969-12-31T23:59:59.999Z')", -1),
        ("new Date('1900-03-01')", utcMilliseconds(1900, 3, 1)),
        ("new Date(1700000000000)", 1_700_000_000_000),
        ("new ISODate(\"1970-01-01T00:00:00Z\")", 0),
        ("{\"$date\": \"2024-01-02T03:04:05.123Z\"}", utcMilliseconds(2024, 1, 2, 3, 4, 5, 123)),
        ("{\"$date\": {\"$numberLong\": \"-86400000\"}}", -86_400_000),
        ("{\"$date\": 1704164645000}", utcMilliseconds(2024, 1, 2, 3, 4, 5)),
    ])
    func dates(source: String, milliseconds: Int64) throws {
        #expect(try MongoShellParser.parseValue(source) == .date(millisecondsSinceEpoch: milliseconds))
    }

    @Test func numericHelpers() throws {
        let value = try MongoShellParser.parseValue(
            """
            [NumberLong(123), NumberLong("9223372036854775807"), Long(-5), NumberInt(5), NumberInt("-7"), Int32(1),
             Double(2), NumberDecimal("1.10"), Decimal128("-1E+10"), NumberDecimal(42)]
            """)
        #expect(
            value
                == .array([
                    .int64(123), .int64(Int64.max), .int64(-5), .int32(5), .int32(-7), .int32(1), .double(2),
                    .decimal128("1.10"), .decimal128("-1E+10"), .decimal128("42"),
                ]))
    }

    @Test func otherHelpers() throws {
        let value = try MongoShellParser.parseValue(
            """
            [Timestamp(1, 2), Timestamp({t: 4294967295, i: 3}), BinData(0, "aGVsbG8="), BinData(128, ""),
             UUID("c8edabc3-f738-4ca3-b68d-ab92a91478a3"), MinKey(), MaxKey(), RegExp("^a", "im"), new RegExp("b")]
            """)
        #expect(
            value
                == .array([
                    .timestamp(seconds: 1, increment: 2), .timestamp(seconds: UInt32.max, increment: 3),
                    .binary(subtype: 0, bytes: Array("hello".utf8)), .binary(subtype: 128, bytes: []),
                    .binary(
                        subtype: 4,
                        bytes: uuidBytes),
                    .minKey, .maxKey, .regex(pattern: "^a", options: "im"), .regex(pattern: "b", options: ""),
                ]))
    }

    @Test func extendedJSONWrappers() throws {
        let value = try MongoShellParser.parseValue(
            """
            {"i": {"$numberInt": "-42"}, "l": {"$numberLong": "9007199254740993"},
             "d": {"$numberDouble": "2.5"}, "inf": {"$numberDouble": "-Infinity"}, "z": {"$numberDouble": "-0.0"},
             "dec": {"$numberDecimal": "0.1000"},
             "re": {"$regularExpression": {"pattern": "a.b", "options": "xi"}},
             "bin": {"$binary": {"base64": "AQID", "subType": "80"}}, "bin1": {"$binary": {"subType": "5", "base64": ""}},
             "u": {"$uuid": "c8edabc3f7384ca3b68dab92a91478a3"},
             "ts": {"$timestamp": {"t": 1700000000, "i": 7}}, "min": {"$minKey": 1}, "max": {"$maxKey": 1}}
            """)
        let document = try #require(value.documentValue)
        #expect(document["i"] == .int32(-42))
        #expect(document["l"] == .int64(9_007_199_254_740_993))
        #expect(document["d"] == .double(2.5))
        #expect(document["inf"] == .double(-.infinity))
        guard case .double(let negativeZero)? = document["z"] else {
            Issue.record("-0.0 should be a double")
            return
        }
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        #expect(document["dec"] == .decimal128("0.1000"))
        #expect(document["re"] == .regex(pattern: "a.b", options: "ix"))
        #expect(document["bin"] == .binary(subtype: 0x80, bytes: [1, 2, 3]))
        #expect(document["bin1"] == .binary(subtype: 5, bytes: []))
        #expect(document["u"] == .binary(subtype: 4, bytes: uuidBytes))
        #expect(document["ts"] == .timestamp(seconds: 1_700_000_000, increment: 7))
        #expect(document["min"] == .minKey)
        #expect(document["max"] == .maxKey)
    }

    /// `$regex` is a query operator; reading it as legacy Extended JSON would change nothing
    /// the server sees, so it stays a plain document.
    @Test func regexQueryOperatorStaysADocument() throws {
        let statement = try parseSingle("db.c.find({name: {$regex: '^a', $options: 'i'}})")
        #expect(statement.operation == .find(MongoFindOperation(filter: ["name": ["$regex": "^a", "$options": "i"]])))
    }

    @Test(arguments: [
        ("ObjectId('abc')", "invalid ObjectId"),
        ("ObjectId()", "a new random ObjectId is never generated"),
        ("ISODate('2024-02-30')", "invalid date"),
        ("ISODate('2024-01-02T24:00:00Z')", "invalid date"),
        ("ISODate('2024-01-02T03:04:05+25:00')", "invalid date"),
        ("ISODate('yesterday')", "invalid date"),
        ("new Date()", "the current time is never filled in"),
        ("Date('2024-01-01')", "without 'new' returns a string"),
        ("NumberInt(2147483648)", "whole number between"),
        ("NumberLong('12abc')", "whole number between"),
        ("NumberLong(1.5)", "whole number between"),
        ("NumberDecimal(1.1)", "pass the decimal as a string"),
        ("NumberDecimal('1.2.3')", "decimal number"),
        ("NumberDecimal('12345678901234567890123456789012345')", "34 significant digits"),
        ("Timestamp(-1, 0)", "whole number between 0 and 4294967295"),
        ("Timestamp({t: 1})", "seconds and an increment"),
        ("BinData(0, 'not base64!')", "invalid base64"),
        ("BinData(256, '')", "whole number between 0 and 255"),
        ("UUID('1234')", "invalid UUID"),
        ("MinKey(1)", "too many arguments"),
        ("RegExp('a', 'g')", "unsupported regular expression flag 'g'"),
        ("Foo(1)", "unknown function Foo()"),
        ("new Foo(1)", "unknown function Foo()"),
        ("{\"$oid\": 5}", "$oid expects a string of 24 hex digits"),
        ("{\"$date\": 1.5}", "$date expects"),
        ("{\"$numberLong\": 5}", "$numberLong expects a string"),
        ("{\"$numberDouble\": \"inf\"}", "$numberDouble expects"),
        ("{\"$binary\": {\"base64\": \"AA==\"}}", "$binary expects"),
        ("{\"$binary\": {\"base64\": \"AA==\", \"subType\": \"100\"}}", "$binary expects"),
        ("{\"$regularExpression\": {\"pattern\": \"a\", \"options\": \"g\"}}", "$regularExpression expects"),
        ("{\"$timestamp\": {\"t\": -1, \"i\": 0}}", "$timestamp expects"),
        ("{\"$minKey\": 2}", "$minKey expects the number 1"),
        ("{\"$undefined\": true}", "undefined is not supported"),
        ("{\"$date\": \"2024-01-01\", \"x\": 1}", "must be the only key"),
    ])
    func invalidHelperArguments(source: String, fragment: String) {
        #expect {
            try MongoShellParser.parseValue(source)
        } throws: { error in
            (error as? MongoParseError)?.message.contains(fragment) == true
        }
    }

    @Test func helperErrorsPointAtTheArgument() throws {
        let error = try parseError("db.orders.find({_id: ObjectId(\"zz\")})")
        #expect((error.line, error.column, error.offset) == (1, 31, 30))
        let dateError = try parseError("db.orders.find({\n  at: {$gt: ISODate('2024-13-01')}\n})")
        #expect((dateError.line, dateError.column) == (2, 21))
    }
}
