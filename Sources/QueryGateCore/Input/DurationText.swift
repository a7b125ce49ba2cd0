/// A duration as operators write one: a positive whole number and a unit, `900s`, `30m`, `12h` or `1d` (the seed
/// writes `30m`), at most a year. Settings and commands read durations through here.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last, let seconds = units[unit], let count = Int64(text.dropLast()), count > 0,
              count <= 366 * 86_400 / seconds
        else { return nil }
        return .seconds(count * seconds)
    }

    /// The shortest way to write whole seconds back: `2h`, `90m`, `45s`.
    public static func format(seconds: Int) -> String {
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] where seconds % size == 0 { return "\(seconds / size)\(unit)" }
        return "\(seconds)s"
    }
}
