/// What a submission needs beyond its fields (`NewRequest`): a requester who can submit, a text that can run on the
/// target's engine (and its risk class there), and a target that can take requests. Every store decides a
/// submission with these, so that the refusals and their sentences are the same whichever store records it.
public enum SubmissionRules {
    /// The pod a request by `requester` goes to, whose managers decide on it.
    /// - Throws: `ValidationError` (field `user`) for a deactivated account or one in no pod.
    public static func pod(of requester: User) throws(ValidationError) -> Int {
        guard requester.isActive else { throw ValidationError(field: "user", "your QueryGate account is deactivated") }
        guard let podID = requester.podID else {
            throw ValidationError(field: "user", "you belong to no pod, so nobody could approve your request: ask an admin to add you to one")
        }
        return podID
    }

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

    /// Why a target or a pod cannot take a request. Which applies is found where the targets are (the PostgreSQL
    /// store's `querygate_submit`, migration 013, checks them in this order: unknown, missing, disabled; then the
    /// text for the engine; then the pod); the sentence is said here.
    public enum Refusal: Sendable, Equatable {
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
