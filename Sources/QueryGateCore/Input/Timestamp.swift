import Foundation

/// A date or time in a filter (`from`, `to`), read strictly: `2026-11-24` (midnight UTC) or
/// `2026-11-24T09:30:00Z` / `…T09:30:00.250+01:00`. Foundation's ISO 8601 parser rolls over impossible values
/// (`T25:00:00`, `02-30`), so a mistyped filter would silently mean another day; here each field is range-checked.
public enum Timestamp {
    public static func parse(_ text: String, field: String) throws(ValidationError) -> Date {
        guard let date = strict(Array(text.utf8)) else {
            throw ValidationError(field: field, "'\(text.prefix(40))' is not a date: write 2026-11-24 or 2026-11-24T09:30:00Z")
        }
        return date
    }

    private static func strict(_ bytes: [UInt8]) -> Date? {
        var reader = Reader(bytes: bytes)
        guard let year = reader.number(4), reader.skip("-"), let month = reader.number(2), reader.skip("-"), let day = reader.number(2),
              (1...9999).contains(year), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var seconds = Double(daysSinceEpoch(year: year, month: month, day: day)) * 86_400
        if reader.atEnd { return Date(timeIntervalSince1970: seconds) }
        guard reader.skip("T") || reader.skip("t"), let hour = reader.number(2), reader.skip(":"), let minute = reader.number(2),
              reader.skip(":"), let second = reader.number(2), hour < 24, minute < 60, second < 60
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60 + second)
        if reader.skip(".") {
            let start = reader.index
            var fraction = 0.0, scale = 0.1
            while let digit = reader.digit() { fraction += Double(digit) * scale; scale /= 10 }
            guard reader.index > start, reader.index - start <= 9 else { return nil }
            seconds += fraction
        }
        if reader.skip("Z") || reader.skip("z") {
        } else if let sign = reader.sign(), let hours = reader.number(2), reader.skip(":"), let minutes = reader.number(2),
                  hours < 24, minutes < 60 {
            seconds -= Double(sign * (hours * 3600 + minutes * 60))
        } else {
            return nil
        }
        return reader.atEnd ? Date(timeIntervalSince1970: seconds) : nil
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int? {
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
            defer { index += 1 }
            return Int(bytes[index] - UInt8(ascii: "0"))
        }

        /// Exactly `count` digits.
        mutating func number(_ count: Int) -> Int? {
            var value = 0
            for _ in 0..<count {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        mutating func sign() -> Int? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}
