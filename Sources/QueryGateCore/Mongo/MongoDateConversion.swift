/// ISO-8601 dates to and from BSON's milliseconds since the Unix epoch, without Foundation.
///
/// The calendar arithmetic is Howard Hinnant's days-from-civil algorithm for the proleptic
/// Gregorian calendar, which is what BSON dates use.
enum MongoDateConversion {
    private static let millisecondsPerDay: Int64 = 86_400_000

    /// Accepts what mongosh's `ISODate` accepts in practice: `2024-01-02`,
    /// `2024-01-02T03:04`, `2024-01-02T03:04:05`, an optional fraction of any length
    /// (truncated to milliseconds), `T` or a space between date and time, and a zone of `Z`,
    /// `±HH`, `±HHMM` or `±HH:MM`. Without a zone the time is UTC, as in mongosh.
    /// Returns nil for anything malformed or out of range (month 13, February 30, hour 24).
    static func milliseconds(fromISO8601 text: String) -> Int64? {
        var scanner = Scanner(Array(text))
        guard let year = scanner.digits(4), scanner.skip("-"), let month = scanner.digits(2), scanner.skip("-"),
            let day = scanner.digits(2), (1...12).contains(month), (1...daysInMonth(month, year: year)).contains(day)
        else { return nil }
        var millisecondsOfDay: Int64 = 0
        var offsetMinutes: Int64 = 0
        if !scanner.isAtEnd {
            guard scanner.skip("T") || scanner.skip("t") || scanner.skip(" "),
                let hour = scanner.digits(2), scanner.skip(":"), let minute = scanner.digits(2),
                hour < 24, minute < 60
            else { return nil }
            var second: Int64 = 0
            var millisecond: Int64 = 0
            if scanner.skip(":") {
                guard let parsedSecond = scanner.digits(2), parsedSecond < 60 else { return nil }
                second = parsedSecond
                if scanner.skip(".") {
                    guard let fraction = scanner.fractionInMilliseconds() else { return nil }
                    millisecond = fraction
                }
            }
            millisecondsOfDay = ((hour * 60 + minute) * 60 + second) * 1000 + millisecond
            guard let zone = scanner.zoneOffsetMinutes() else { return nil }
            offsetMinutes = zone
        }
        guard scanner.isAtEnd else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * millisecondsPerDay + millisecondsOfDay
            - offsetMinutes * 60_000
    }

    /// `2024-01-02T03:04:05.123Z`, or nil outside years 1970–9999, where Extended JSON
    /// requires the `$numberLong` form instead.
    static func iso8601(millisecondsSinceEpoch milliseconds: Int64) -> String? {
        let (days, millisecondsOfDay) = floorDivide(milliseconds, by: millisecondsPerDay)
        let (year, month, day) = civilFromDays(days)
        guard (1970...9999).contains(year) else { return nil }
        let seconds = millisecondsOfDay / 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3600, 2)):"
            + "\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(millisecondsOfDay % 1000, 3))Z"
    }

    // MARK: - Calendar arithmetic

    private static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    private static func daysInMonth(_ month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let marchBasedYear = month <= 2 ? year - 1 : year
        let era = floorDivide(marchBasedYear, by: 400).quotient
        let yearOfEra = marchBasedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let (era, dayOfEra) = floorDivide(days + 719_468, by: 146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Division rounding toward negative infinity, so dates before 1970 land on the right day.
    private static func floorDivide(_ value: Int64, by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value / divisor - (value % divisor < 0 ? 1 : 0)
        return (quotient, value - quotient * divisor)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    // MARK: - Scanning

    private struct Scanner {
        let characters: [Character]
        var index = 0

        init(_ characters: [Character]) { self.characters = characters }

        var isAtEnd: Bool { index == characters.count }

        mutating func skip(_ character: Character) -> Bool {
            guard index < characters.count, characters[index] == character else { return false }
            index += 1
            return true
        }

        /// Exactly `count` ASCII digits.
        mutating func digits(_ count: Int) -> Int64? {
            guard index + count <= characters.count else { return nil }
            var value: Int64 = 0
            for character in characters[index..<index + count] {
                guard let digit = Self.digitValue(character) else { return nil }
                value = value * 10 + digit
            }
            index += count
            return value
        }

        /// One or more digits after the decimal point, truncated to milliseconds.
        mutating func fractionInMilliseconds() -> Int64? {
            var milliseconds: Int64 = 0
            var count = 0
            while index < characters.count, let digit = Self.digitValue(characters[index]) {
                if count < 3 { milliseconds = milliseconds * 10 + digit }
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 3) { milliseconds *= 10 }
            return milliseconds
        }

        /// Minutes east of UTC: 0 for `Z` or no zone at all.
        mutating func zoneOffsetMinutes() -> Int64? {
            if isAtEnd || skip("Z") || skip("z") { return 0 }
            let sign: Int64
            if skip("+") {
                sign = 1
            } else if skip("-") {
                sign = -1
            } else {
                return nil
            }
            guard let hours = digits(2), hours < 24 else { return nil }
            if isAtEnd { return sign * hours * 60 }
            _ = skip(":")
            guard let minutes = digits(2), minutes < 60 else { return nil }
            return sign * (hours * 60 + minutes)
        }

        private static func digitValue(_ character: Character) -> Int64? {
            guard let ascii = character.asciiValue, (0x30...0x39).contains(ascii) else { return nil }
            return Int64(ascii - 0x30)
        }
    }
}
