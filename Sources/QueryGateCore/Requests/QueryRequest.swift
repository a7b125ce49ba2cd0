/// One statement, or a script of several run as one transaction.
public enum SubmissionType: String, Sendable, Codable, CaseIterable {
    case query
    case script
}

/// A database written as `<instance>/<database>`, the way people name a target.
public struct TargetPath: Hashable, Sendable, CustomStringConvertible {
    public let instance: InstanceName
    public let database: DatabaseName

    public init(_ text: String, field: String = "target") throws(ValidationError) {
        let parts = text.trimmingSpaces().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let instance = try? InstanceName(String(parts[0])),
              let database = try? DatabaseName(String(parts[1]))
        else {
            throw ValidationError(field: field, "'\(text.prefix(80))' is not a target: write <instance>/<database>, such as pg-main/customer_db")
        }
        self.instance = instance
        self.database = database
    }

    public var description: String { "\(instance)/\(database)" }
}

/// A request as submitted, checked before anything is stored.
public struct NewRequest: Sendable, Equatable {
    /// Long enough for any real script; short enough that a paste accident is caught early.
    public static let maximumQueryLength = 20_000
    public static let maximumReasonLength = 1_000

    public let target: TargetPath
    public let submissionType: SubmissionType
    public let queryText: String
    public let reason: String

    /// - Throws: the first of `problems(…)`: a `ValidationError` naming the field (`target`, `query`, `reason`).
    public init(target: String, queryText: String, reason: String, submissionType: SubmissionType = .query) throws(ValidationError) {
        if let first = Self.problems(target: target, queryText: queryText, reason: reason).first { throw first }
        let target = try TargetPath(target)
        let queryText = queryText.trimmingSpaces()
        let reason = reason.trimmingSpaces()
        self.target = target
        self.submissionType = submissionType
        self.queryText = queryText
        self.reason = reason
    }

    /// Every problem with a submission's fields, at most one per field, in the order target, query, reason: what a
    /// form shows under each of its fields at once. Empty when the fields make a request.
    public static func problems(target: String, queryText: String, reason: String) -> [ValidationError] {
        var problems: [ValidationError] = []
        do { _ = try TargetPath(target) } catch { problems.append(error) }
        let queryText = queryText.trimmingSpaces()
        let reason = reason.trimmingSpaces()
        if queryText.isEmpty {
            problems.append(ValidationError(field: "query", "the query is empty"))
        } else if queryText.count > maximumQueryLength {
            problems.append(ValidationError(field: "query", "the query is \(queryText.count) characters, longer than \(maximumQueryLength) (the limit)"))
        }
        if reason.isEmpty {
            problems.append(ValidationError(field: "reason", "say why you need this: approvers decide on the reason"))
        } else if reason.count > maximumReasonLength {
            problems.append(ValidationError(field: "reason", "the reason is \(reason.count) characters, longer than \(maximumReasonLength) (the limit)"))
        }
        return problems
    }
}
