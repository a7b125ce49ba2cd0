import Foundation
import QueryGateCore
import Testing

/// The rules every door applies to what comes from outside: numbers that name requests, text PostgreSQL can
/// store, dates that exist.
@Suite struct InputRuleTests {
    @Test(arguments: [
        ("42", 42), ("#42", 42), ("9223372036854775807", Int(Int64.max)),
        ("0", nil), ("-1", nil), ("+5", nil), ("", nil), ("#", nil), (" 4", nil), ("4 ", nil), ("1e3", nil), ("٣", nil),
        ("9223372036854775808", nil), ("99999999999999999999999", nil), ("00000000000000000042", nil),
    ] as [(String, Int?)])
    func requestNumbersFromText(text: String, expected: Int?) {
        #expect(RequestNumber.parse(text) == expected, "\(text)")
    }

    @Test(arguments: [
        (42.0, 42), (1e300, nil), (-0.0, nil), (0, nil), (-1, nil), (2.5, nil), (Double.nan, nil), (Double.infinity, nil),
        (9.3e18, nil), (9_007_199_254_740_992, 9_007_199_254_740_992),
    ] as [(Double, Int?)])
    func requestNumbersFromJSONNumbers(number: Double, expected: Int?) {
        #expect(RequestNumber.exactly(number) == expected, "\(number)")
    }

    @Test func textWithANULIsRefusedNamingTheField() {
        #expect(InputText.isStorable("SELECT 1 -- é ✅ \u{1}"))
        #expect(!InputText.isStorable("SELECT\u{0}1"))
        #expect(throws: ValidationError.self) { try InputText.check("a\u{0}", field: "reason") }
        #expect(InputText.refusal(field: "reason").field == "reason")
    }

    @Test(arguments: [
        ("2026-11-24", "2026-11-24T00:00:00Z"), ("2024-02-29", "2024-02-29T00:00:00Z"), ("2000-02-29", "2000-02-29T00:00:00Z"),
        ("2026-11-24T09:30:00Z", "2026-11-24T09:30:00Z"), ("2026-11-24T09:30:00+01:30", "2026-11-24T08:00:00Z"),
        ("2026-11-24T23:59:59-05:00", "2026-11-25T04:59:59Z"), ("1970-01-01", "1970-01-01T00:00:00Z"),
    ])
    func validDates(text: String, expected: String) throws {
        let parsed = try Timestamp.parse(text, field: "from")
        #expect(parsed == (try Date(expected, strategy: .iso8601)), "\(text)")
    }

    /// Far from 1970, as seconds since then (Foundation's parser is no reference for year 1).
    @Test func theCalendarHoldsFarFromTheEpoch() throws {
        #expect(try Timestamp.parse("0001-01-01", field: "from").timeIntervalSince1970 == -62_135_596_800)
        #expect(try Timestamp.parse("9999-12-31T23:59:59Z", field: "from").timeIntervalSince1970 == 253_402_300_799)
    }

    @Test func fractionsOfASecondAreKept() throws {
        let parsed = try Timestamp.parse("2026-11-24T09:30:00.250Z", field: "to")
        #expect(parsed.timeIntervalSince1970.truncatingRemainder(dividingBy: 1) == 0.25)
    }

    @Test(arguments: [
        "2026-01-01T25:00:00Z", "2026-02-30", "2026-13-01", "2026-00-10", "2026-01-00", "2023-02-29", "1900-02-29",
        "2026-01-01T23:60:00Z", "2026-01-01T23:00:60Z", "2026-01-01T10:00:00", "2026-01-01T10:00:00+24:00", "2026-1-01",
        "26-01-01", "2026-01-01 10:00:00Z", "2026-01-01T10:00Z", "2026-01-01T10:00:00.Z", "0000-01-01", "+2026-01-01",
        "2026-01-01Z", "tomorrow", "", "2026-01-01T10:00:00Zjunk", "２０２６-01-01",
    ])
    func impossibleOrMalformedDatesAreRefusedNamingTheField(text: String) {
        #expect(throws: ValidationError(field: "from", "'\(text)' is not a date: write 2026-11-24 or 2026-11-24T09:30:00Z")) {
            try Timestamp.parse(text, field: "from")
        }
    }
}
