import QueryGateCore
import Testing

/// Parses a script that must contain exactly one statement.
func parseSingle(_ script: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> MongoStatement {
    let statements = try MongoShellParser.parse(script)
    try #require(statements.count == 1, sourceLocation: sourceLocation)
    return statements[0]
}

/// The parse error a script must produce.
func parseError(_ script: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> MongoParseError {
    do {
        let statements = try MongoShellParser.parse(script)
        Issue.record("expected a parse error, got \(statements)", sourceLocation: sourceLocation)
        throw ExpectedFailureMissing()
    } catch let error as MongoParseError {
        return error
    }
}

struct ExpectedFailureMissing: Error {}

/// Milliseconds since the epoch for a UTC calendar time, computed independently of the
/// parser's own date code (from day counts), so date tests don't check the code against itself.
func utcMilliseconds(
    _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0,
    _ millisecond: Int = 0
) -> Int64 {
    var days = 0
    if year >= 1970 {
        for y in 1970..<year { days += isLeap(y) ? 366 : 365 }
    } else {
        for y in year..<1970 { days -= isLeap(y) ? 366 : 365 }
    }
    let monthLengths = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    days += monthLengths[0..<(month - 1)].reduce(0, +) + day - 1
    return Int64(((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + Int64(millisecond)
}

private func isLeap(_ year: Int) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}
