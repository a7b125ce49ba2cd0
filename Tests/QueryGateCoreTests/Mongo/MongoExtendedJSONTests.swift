import QueryGateCore
import Testing

@Suite("relaxed Extended JSON output")
struct MongoExtendedJSONTests {
    @Test(arguments: [
        (MongoValue.int32(-5), "-5"),
        (.int64(9_007_199_254_740_993), "9007199254740993"),
        (.double(1), "1.0"),
        (.double(-0.0), "-0.0"),
        (.double(1.0001220703125), "1.0001220703125"),
        (.double(-1.2345678901234568e+18), "-1.2345678901234568e+18"),
        (.double(.infinity), "{\"$numberDouble\": \"Infinity\"}"),
        (.double(-.infinity), "{\"$numberDouble\": \"-Infinity\"}"),
        (.double(.nan), "{\"$numberDouble\": \"NaN\"}"),
        (.string("a\"b\\c\n\u{1}é😀"), "\"a\\\"b\\\\c\\n\\u0001é😀\""),
        (.bool(true), "true"),
        (.null, "null"),
        (.date(millisecondsSinceEpoch: 0), "{\"$date\": \"1970-01-01T00:00:00.000Z\"}"),
        (.date(millisecondsSinceEpoch: 1_356_351_330_501), "{\"$date\": \"2012-12-24T12:15:30.501Z\"}"),
        (.date(millisecondsSinceEpoch: 253_402_300_799_999), "{\"$date\": \"9999-12-31T23:59:59.999Z\"}"),
        (.date(millisecondsSinceEpoch: 253_402_300_800_000), "{\"$date\": {\"$numberLong\": \"253402300800000\"}}"),
        (.date(millisecondsSinceEpoch: -284_643_869_500), "{\"$date\": {\"$numberLong\": \"-284643869500\"}}"),
        (.objectId(MongoObjectID(hex: "57e193d7a9cc81b4027498b5")!), "{\"$oid\": \"57e193d7a9cc81b4027498b5\"}"),
        (.decimal128("1234.5"), "{\"$numberDecimal\": \"1234.5\"}"),
        (
            .regex(pattern: "^a\\d", options: "im"),
            "{\"$regularExpression\": {\"pattern\": \"^a\\\\d\", \"options\": \"im\"}}"
        ),
        (.binary(subtype: 4, bytes: [0xC8, 0xED, 0xAB]), "{\"$binary\": {\"base64\": \"yO2r\", \"subType\": \"04\"}}"),
        (.binary(subtype: 0x80, bytes: [1]), "{\"$binary\": {\"base64\": \"AQ==\", \"subType\": \"80\"}}"),
        (.timestamp(seconds: 1, increment: 2), "{\"$timestamp\": {\"t\": 1, \"i\": 2}}"),
        (.minKey, "{\"$minKey\": 1}"),
        (.maxKey, "{\"$maxKey\": 1}"),
        (MongoValue.document(["a": 1, "b": [1, "x", [:]], "c": []]), "{\"a\": 1, \"b\": [1, \"x\", {}], \"c\": []}"),
    ])
    func rendersEachType(value: MongoValue, expected: String) {
        #expect(MongoExtendedJSON.relaxed(value) == expected)
    }

    @Test func roundTripsThroughTheParser() throws {
        let source = """
            {"_id": {"$oid": "57e193d7a9cc81b4027498b5"}, "s": "t\\u00e9xt\\n", "i": 1, "l": {"$numberLong": "9007199254740993"},
             "d": 2.5, "w": 3.0, "big": 1e300, "neg0": -0.0, "inf": {"$numberDouble": "Infinity"},
             "dec": {"$numberDecimal": "1.10"}, "b": true, "n": null,
             "date": {"$date": "2024-01-02T03:04:05.123Z"}, "old": {"$date": {"$numberLong": "-1"}},
             "re": {"$regularExpression": {"pattern": "a/b", "options": "ix"}},
             "bin": {"$binary": {"base64": "AAEC/w==", "subType": "00"}}, "ts": {"$timestamp": {"t": 4294967295, "i": 1}},
             "min": {"$minKey": 1}, "max": {"$maxKey": 1}, "nested": {"arr": [[], {}, [1, [2, {"x": "y"}]]]}}
            """
        let value = try MongoShellParser.parseValue(source)
        let rendered = MongoExtendedJSON.relaxed(value)
        let reparsed = try MongoShellParser.parseValue(rendered)
        #expect(reparsed == value)
        #expect(MongoExtendedJSON.relaxed(reparsed) == rendered)
        // Doubles keep their type across the round trip, including integral ones.
        #expect(reparsed.documentValue?["w"] == .double(3))
        #expect(rendered.contains("\"w\": 3.0"))
    }

    @Test func shellHelpersRenderAsExtendedJSON() throws {
        let value = try MongoShellParser.parseValue(
            "{id: ObjectId('65a1f0c2e4b0a1b2c3d4e5f6'), at: ISODate('2024-01-02'), n: NumberLong(5), re: /x/i}")
        #expect(
            MongoExtendedJSON.relaxed(value)
                == "{\"id\": {\"$oid\": \"65a1f0c2e4b0a1b2c3d4e5f6\"}, \"at\": {\"$date\": \"2024-01-02T00:00:00.000Z\"}, "
                + "\"n\": 5, \"re\": {\"$regularExpression\": {\"pattern\": \"x\", \"options\": \"i\"}}}")
    }

    @Test func flatColumnsAreTheUnionOfKeysInFirstSeenOrder() {
        let documents: [MongoDocument] = [
            ["_id": 1, "name": "a"],
            ["_id": 2, "total": 5.5, "name": "b"],
            ["flag": true],
        ]
        #expect(MongoExtendedJSON.flatColumns(documents) == ["_id", "name", "total", "flag"])
        #expect(MongoExtendedJSON.flatColumns([]) == [])
        #expect(MongoExtendedJSON.flatColumns([["a": 1], ["b": ["c": 1]]]) == nil)
        #expect(MongoExtendedJSON.flatColumns([["a": [1, 2]]]) == nil)
    }

    @Test func cellTextIsReadableForCSV() throws {
        #expect(MongoExtendedJSON.cellText("plain") == "plain")
        #expect(MongoExtendedJSON.cellText(.null) == "")
        #expect(MongoExtendedJSON.cellText(.int64(7)) == "7")
        #expect(MongoExtendedJSON.cellText(.date(millisecondsSinceEpoch: 86_400_000)) == "1970-01-02T00:00:00.000Z")
        #expect(
            MongoExtendedJSON.cellText(.objectId(try #require(MongoObjectID(hex: "65a1f0c2e4b0a1b2c3d4e5f6"))))
                == "65a1f0c2e4b0a1b2c3d4e5f6")
        #expect(MongoExtendedJSON.cellText(.decimal128("1.10")) == "{\"$numberDecimal\": \"1.10\"}")
    }

    @Test func datesRoundTripAcrossTheCalendar() throws {
        // Every 397 days plus an odd number of milliseconds from 1970 to 9999: format, parse back.
        var milliseconds: Int64 = 0
        let step: Int64 = 397 * 86_400_000 + 12_345_678
        while milliseconds < 253_402_300_800_000 {
            let text = MongoExtendedJSON.relaxed(.date(millisecondsSinceEpoch: milliseconds))
            #expect(try MongoShellParser.parseValue(text) == .date(millisecondsSinceEpoch: milliseconds))
            milliseconds += step
        }
        // Month ends, leap days and century years against an independent day count.
        for year in stride(from: 1970, through: 9999, by: 37) + [2000, 2100, 2400] {
            let leapDay = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let day = leapDay ? 29 : 28
            let expected = "{\"$date\": \"\(year)-02-\(day)T23:59:59.999Z\"}"
            #expect(
                MongoExtendedJSON.relaxed(.date(millisecondsSinceEpoch: utcMilliseconds(year, 2, day, 23, 59, 59, 999)))
                    == expected)
        }
    }
}
