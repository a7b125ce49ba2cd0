/// What a submission needs beyond its fields (`NewRequest`): a requester who can submit, a text that can run on the
/// target's engine (and its risk class there), and a target that can take requests. Every store decides a
/// submission with these, so that the refusals and their sentences are the same whichever store records it.
public enum SubmissionRules {
    /// The pod a request by `requester` goes to, whose managers decide on it.
    /// - Throws: `ValidationError` (field `user`) for a deactivated account or one in no pod.
    public static func pod(of requester: User) throws(ValidationError) -> Int {
        guard requester.isActive else { throw ValidationError(field: "user", "your QueryGate account is deactivated") }
        guard let podID = requester.podID else { throw requesterInNoPod }
        return podID
    }

    /// `pod(of:)`'s refusal of a person in no pod, also said by the PostgreSQL store when it looks the requester up
    /// itself (a Slack submission, in the statement that records it; a deactivated person is answered by the route).
    public static let requesterInNoPod = ValidationError(
        field: "user", "you belong to no pod, so nobody could approve your request: ask an admin to add you to one")

    /// What a request's text is on each engine, decided before the target's engine is known (the PostgreSQL store
    /// learns it in the statement that records the request): its risk class there, or why it cannot run there.
    public struct Levels: Sendable {
        public let postgresql: Result<RiskAssessment.Level, ValidationError>
        public let mongodb: Result<RiskAssessment.Level, ValidationError>

        public init(_ request: NewRequest) {
            postgresql = Result { () throws(ValidationError) in try SubmissionRules.levelForPostgreSQL(request) }
            mongodb = Result { () throws(ValidationError) in
                _ = try MongoRequest.validate(request.queryText, type: request.submissionType, database: request.target.database.rawValue)
                return RiskAnalysis.assess(request.queryText, on: .mongodb).level
            }
        }

        /// The risk class on `engine`, which sets the approvals it needs (`ApprovalQuorum`).
        /// - Throws: `ValidationError` (field `query`) when the text cannot run on `engine`.
        public func level(on engine: DatabaseType) throws(ValidationError) -> RiskAssessment.Level {
            try (engine == .mongodb ? mongodb : postgresql).get()
        }
    }

    /// What a store knows of a request's target when the request arrives: its engine, whether the last sync found
    /// it, and whether it and its instance are enabled.
    public struct TargetState: Sendable, Equatable {
        public let engine: DatabaseType
        /// The last database sync did not find it on its server.
        public let isMissing: Bool
        /// The database and its instance are both enabled.
        public let isEnabled: Bool

        public init(engine: DatabaseType, isMissing: Bool, isEnabled: Bool) {
            self.engine = engine
            self.isMissing = isMissing
            self.isEnabled = isEnabled
        }
    }

    /// Whether the target takes the request, and the text's risk class there; `target` is nil when there is no
    /// such database. The checks come in this order: the target exists, was found by the last sync, is enabled;
    /// then the text suits its engine. (The pod comes last, `Refusal.noPod`.) `querygate_record_submission` writes
    /// the same order in SQL, so that a submission takes one round trip; `SubmissionRulesContractTests` holds it to
    /// this one.
    /// - Throws: `ValidationError`: a `Refusal`'s, or the engine's for the text.
    public static func level(
        on target: TargetState?, at path: TargetPath, _ levels: Levels
    ) throws(ValidationError) -> RiskAssessment.Level {
        guard let target else { throw Refusal.noSuchTarget.error(for: path) }
        if target.isMissing { throw Refusal.targetMissing.error(for: path) }
        if !target.isEnabled { throw Refusal.targetDisabled.error(for: path) }
        return try levels.level(on: target.engine)
    }

    /// A PostgreSQL query is one statement (a script may be several); its risk class, or why it cannot be sent.
    static func levelForPostgreSQL(_ request: NewRequest) throws(ValidationError) -> RiskAssessment.Level {
        let statements = SQLScript.parse(request.queryText)
        if request.submissionType == .query {
            let count = statements.count
            guard count == 1 else {
                throw ValidationError(
                    field: "query",
                    count == 0
                        ? "the query has no statement, only comments"
                        : "this is \(count) statements, and a query is one: send it as a script (`/query script …`, or Kind: Script in the form) to run them together in one transaction")
            }
        }
        return RiskAnalysis.assess(statements: statements).level
    }

    /// Why a target or a pod cannot take a request, in words; which applies, and in which order, is
    /// `level(on:at:_:)`.
    public enum Refusal: Sendable, Equatable, CaseIterable {
        /// No database of that name on that instance.
        case noSuchTarget
        /// The last database sync did not find it on the server.
        case targetMissing
        /// The database or its instance is disabled.
        case targetDisabled
        /// The requester's pod was removed since they signed in.
        case noPod

        public func error(for target: TargetPath) -> ValidationError {
            switch self {
            case .noSuchTarget:
                ValidationError(field: "target", "there is no database \(target): pick one from the list in `/query`")
            case .targetMissing:
                ValidationError(
                    field: "target",
                    "\(target) no longer exists on the server (the last database sync did not find it): pick another from the list in `/query`")
            case .targetDisabled:
                ValidationError(field: "target", "\(target) is disabled: ask an admin")
            case .noPod:
                ValidationError(field: "pod", "your pod no longer exists")
            }
        }
    }
}
