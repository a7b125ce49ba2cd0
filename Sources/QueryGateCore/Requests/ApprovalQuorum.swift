/// How many distinct people must approve a request before it runs, by its risk class: a pod's setting
/// (`querygate pods set --approvals-dangerous 2`), copied onto each request when it is made, so that a request is
/// judged by the rule it was asked under and its message never changes its mind.
public struct ApprovalQuorum: Sendable, Equatable, Codable {
    /// One approval for everything: the default of every pod.
    public static let single = ApprovalQuorum(readOnly: 1, write: 1, ddl: 1, dangerous: 1)
    /// A pod rarely has more approvers than this; more would leave requests that nobody can complete.
    public static let allowed = 1...5

    public var readOnly: Int
    public var write: Int
    public var ddl: Int
    public var dangerous: Int

    public init(readOnly: Int, write: Int, ddl: Int, dangerous: Int) {
        self.readOnly = readOnly
        self.write = write
        self.ddl = ddl
        self.dangerous = dangerous
    }

    /// The approvals a request of `level` needs.
    public func required(for level: RiskAssessment.Level) -> Int {
        switch level {
        case .readOnly: readOnly
        case .write: write
        case .ddl: ddl
        case .dangerous: dangerous
        }
    }

    /// Sets the approvals `level` needs.
    /// - Throws: `ValidationError` (field `approvals-<level>`) outside `allowed`.
    public mutating func set(_ count: Int, for level: RiskAssessment.Level) throws(ValidationError) {
        guard Self.allowed.contains(count) else {
            throw ValidationError(
                field: Self.field(level),
                "a \(level.label) request needs from \(Self.allowed.lowerBound) to \(Self.allowed.upperBound) approvals, not \(count)")
        }
        switch level {
        case .readOnly: readOnly = count
        case .write: write = count
        case .ddl: ddl = count
        case .dangerous: dangerous = count
        }
    }

    /// The name of the setting for `level`, as the CLI spells it (`approvals-dangerous`).
    public static func field(_ level: RiskAssessment.Level) -> String {
        switch level {
        case .readOnly: "approvals-read-only"
        case .write: "approvals-write"
        case .ddl: "approvals-ddl"
        case .dangerous: "approvals-dangerous"
        }
    }

    /// "1 read-only, 1 write, 2 DDL, 2 dangerous"; "1 for everything" when they are all one.
    public var summary: String {
        if self == .single { return "1 for everything" }
        return RiskAssessment.Level.allCases.map { "\(required(for: $0)) \($0 == .ddl ? "DDL" : $0.label)" }.joined(separator: ", ")
    }
}
