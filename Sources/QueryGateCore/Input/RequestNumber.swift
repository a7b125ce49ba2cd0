/// A request's number as it arrives from outside (a button value, a modal's metadata, a path, a command): a
/// positive whole number within PostgreSQL's `bigint`. Anything else names no request, and converting it must
/// never trap (`Int(1e300)` does), so every door reads numbers through here.
public enum RequestNumber {
    /// The id `text` names, or nil: digits only (an optional leading `#`), no sign, no spaces, at least 1.
    public static func parse(_ text: some StringProtocol) -> Int? {
        let digits = text.hasPrefix("#") ? text.dropFirst() : text[...]
        guard !digits.isEmpty, digits.count <= 19, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int64(digits), value > 0
        else { return nil }
        return Int(value)
    }

    /// The id a JSON number names, or nil when it is not a whole number from 1 to `Int64.max` (NaN, 1e300, -0,
    /// 2.5 all name nothing).
    public static func exactly(_ number: Double) -> Int? {
        guard let value = Int64(exactly: number), value > 0 else { return nil }
        return Int(value)
    }
}
