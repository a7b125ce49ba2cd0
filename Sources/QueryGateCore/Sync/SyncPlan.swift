/// What one sync changes in an instance's registry, decided from what is registered and what the server listed.
///
/// The rules of the hybrid sync, in one place (the store only applies the plan, in one transaction):
/// - A listed name that is not registered is added (`source = synced`), unless the blacklist matches it or it
///   cannot be a QueryGate database name (a `/` or a space): those are skipped.
/// - A `synced` row listed again is *seen* (`last_seen_at`); if a sync had marked it missing it is *reactivated*.
///   One an administrator disabled stays disabled: being seen again is no reason to offer it.
/// - A `synced` row that is active and no longer listed (or is now blacklisted) is *marked missing*: inactive,
///   never deleted, because requests point at it.
/// - A `manual` row is never touched, listed or not, blacklisted or not.
///
/// Blacklist matching itself happens in PostgreSQL (its `~` is the regex dialect patterns are checked with when
/// they are added), so the plan takes the names it matched.
public struct SyncPlan: Sendable, Equatable {
    public private(set) var added: [String] = []
    public private(set) var seen: [String] = []
    public private(set) var reactivated: [String] = []
    public private(set) var markedMissing: [String] = []
    /// Listed names neither registered nor added: blacklisted, or not valid as database names.
    public private(set) var skipped: [String] = []
    /// How many distinct listed names the blacklist let through.
    public private(set) var found = 0

    /// - Parameters:
    ///   - registered: every `databases` row of the instance.
    ///   - listed: the names the server listed.
    ///   - blacklisted: those of `listed` (and of `registered`) that the blacklist matches for this instance.
    public init(registered: [RegisteredDatabase], listed: [String], blacklisted: Set<String>) {
        let offered = Set(listed.filter { !blacklisted.contains($0) })
        found = offered.count
        var registeredNames = Set<String>()
        for row in registered.sorted(by: { $0.name < $1.name }) {
            registeredNames.insert(row.name)
            guard row.source == .synced else { continue }
            if offered.contains(row.name) {
                seen.append(row.name)
                if row.state == .missing { reactivated.append(row.name) }
            } else if row.state == .active {
                markedMissing.append(row.name)
            }
        }
        for name in Set(listed).sorted() where !registeredNames.contains(name) {
            if offered.contains(name), (try? DatabaseName(name)) != nil {
                added.append(name)
            } else {
                skipped.append(name)
            }
        }
    }
}

/// Where a registered database came from: typed by an administrator, or found on its server by a sync.
public enum DatabaseSource: String, Sendable, Equatable, CaseIterable {
    case manual, synced
}

/// A `databases` row as the sync sees it.
public struct RegisteredDatabase: Sendable, Equatable {
    /// Why a database is or is not offered; the two inactive states stay apart so that a sync undoes only its own.
    public enum State: String, Sendable, Equatable {
        case active
        /// An administrator turned it off.
        case disabled
        /// A sync found it gone from its server.
        case missing
    }

    public let name: String
    public let source: DatabaseSource
    public let state: State

    public init(name: String, source: DatabaseSource, state: State) {
        self.name = name
        self.source = source
        self.state = state
    }

    /// The state stored as `is_active` and `missing_since`.
    public static func state(isActive: Bool, isMissing: Bool) -> State {
        isMissing ? .missing : isActive ? .active : .disabled
    }
}
