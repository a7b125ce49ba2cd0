import Foundation

extension Duration {
    /// Whole and fractional seconds: for `Date` arithmetic, and for SQL's `make_interval(secs => …)`.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
