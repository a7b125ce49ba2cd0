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

    /// - Throws: `ValidationError` naming the field (`target`, `query`, `reason`) that is wrong.
    public init(target: String, queryText: String, reason: String, submissionType: SubmissionType = .query) throws(ValidationError) {
        let target = try TargetPath(target)
        let queryText = queryText.trimmingSpaces()
        let reason = reason.trimmingSpaces()
        guard !queryText.isEmpty else { throw ValidationError(field: "query", "the query is empty") }
        guard queryText.count <= Self.maximumQueryLength else {
            throw ValidationError(field: "query", "the query is \(queryText.count) characters long; the limit is \(Self.maximumQueryLength)")
        }
        guard !reason.isEmpty else { throw ValidationError(field: "reason", "say why you need this: approvers decide on the reason") }
        guard reason.count <= Self.maximumReasonLength else {
            throw ValidationError(field: "reason", "the reason is \(reason.count) characters long; the limit is \(Self.maximumReasonLength)")
        }
        self.target = target
        self.submissionType = submissionType
        self.queryText = queryText
        self.reason = reason
    }
}
