import Foundation
import Hummingbird
import QueryGateCore

/// A request's query string, read strictly: an unknown parameter or a malformed value is a 400 naming it,
/// rather than a filter silently ignored. Values are checked by `InputText` here, the door for query strings.
struct QueryParameters {
    private let values: [String: String]

    init(_ request: Request, allowed: Set<String>) throws {
        var values: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            let name = String(name)
            guard allowed.contains(name) else {
                throw ValidationError(field: name, "is not a parameter of this endpoint; it takes \(allowed.sorted().joined(separator: ", "))")
            }
            guard values[name] == nil else { throw ValidationError(field: name, "is given twice") }
            try InputText.check(value, field: name)
            values[name] = String(value)
        }
        self.values = values
    }

    func string(_ name: String) -> String? {
        values[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    func integer(_ name: String) throws(ValidationError) -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text) else { throw ValidationError(field: name, "'\(text.prefix(40))' is not a whole number") }
        return value
    }

    /// `2026-11-24` (midnight UTC) or a full ISO 8601 time such as `2026-11-24T09:30:00Z`, every field in range
    /// (`Timestamp`).
    func date(_ name: String) throws(ValidationError) -> Date? {
        guard let text = string(name) else { return nil }
        return try Timestamp.parse(text, field: name)
    }
}
