import Foundation

/// Which requests a list shows, as the portal's filters say; each criterion narrows the list (all must hold).
/// What the caller may see at all is applied on top by the store (`RequestVisibility`'s rule, as SQL).
public struct RequestFilter: Sendable, Equatable {
    public var status: RequestStatus?
    public var pod: PodName?
    /// `<instance>/<database>`, or a database name on any instance.
    public var database: DatabaseSelector?
    /// The requester's e-mail address.
    public var submitter: EmailAddress?
    /// Submitted at or after this moment.
    public var submittedFrom: Date?
    /// Submitted before this moment.
    public var submittedBefore: Date?

    public init(
        status: RequestStatus? = nil, pod: PodName? = nil, database: DatabaseSelector? = nil, submitter: EmailAddress? = nil,
        submittedFrom: Date? = nil, submittedBefore: Date? = nil
    ) {
        self.status = status
        self.pod = pod
        self.database = database
        self.submitter = submitter
        self.submittedFrom = submittedFrom
        self.submittedBefore = submittedBefore
    }

    public enum DatabaseSelector: Sendable, Equatable {
        case target(TargetPath)
        case named(DatabaseName)

        /// `pg-main/customer_db` names one database; `customer_db` that name on every instance.
        public init(_ text: String, field: String = "database") throws(ValidationError) {
            if text.contains("/") {
                self = .target(try TargetPath(text, field: field))
            } else {
                self = .named(try DatabaseName(text, field: field))
            }
        }
    }
}

/// One page of a list, newest first: at most `size` items older than the item `after` names (the last id of the
/// previous page). Keyset rather than offset, so that new requests arriving between pages shift nothing.
public struct PageRequest: Sendable, Equatable {
    public static let defaultSize = 25
    public static let maximumSize = 100

    public let size: Int
    public let after: Int?

    public init(size: Int = PageRequest.defaultSize, after: Int? = nil) throws(ValidationError) {
        guard (1...Self.maximumSize).contains(size) else {
            throw ValidationError(field: "limit", "a page holds 1 to \(Self.maximumSize) items; \(size) is outside that")
        }
        if let after, after < 1 { throw ValidationError(field: "cursor", "the cursor is not one this API gave out") }
        self.size = size
        self.after = after
    }
}
