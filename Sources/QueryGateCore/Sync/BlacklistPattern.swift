import Foundation

/// How a blacklist pattern matches a database name. The matching itself is PostgreSQL's (`=`, `starts_with`, `~`),
/// so a regex means exactly what it meant when it was checked on adding.
public enum BlacklistKind: String, Sendable, Equatable, CaseIterable {
    case exact, prefix, regex

    public init(parsing text: String) throws(ValidationError) {
        guard let kind = BlacklistKind(rawValue: text.trimmingSpaces().lowercased()) else {
            throw ValidationError(field: "kind", "'\(text.prefix(40))' is not a pattern kind: use exact, prefix or regex")
        }
        self = kind
    }
}

/// A pattern an administrator wants kept out of the registry, checked before anything is stored.
public struct NewBlacklistPattern: Sendable, Equatable {
    public let pattern: String
    public let kind: BlacklistKind
    /// `nil`: every instance.
    public let instance: InstanceName?
    public let reason: String?

    /// - Throws: `ValidationError` for an empty pattern, one with a NUL or longer than 200 characters. (Whether a
    ///   regex compiles is PostgreSQL's to say; the store asks it.)
    public init(pattern: String, kind: BlacklistKind, instance: InstanceName?, reason: String?) throws(ValidationError) {
        let pattern = pattern.trimmingSpaces()
        guard !pattern.isEmpty else { throw ValidationError(field: "pattern", "the pattern is empty: give the name, prefix or regex to skip") }
        guard pattern.count <= 200 else { throw ValidationError(field: "pattern", "the pattern is longer than 200 characters") }
        guard !pattern.unicodeScalars.contains("\u{0}") else { throw ValidationError(field: "pattern", "the pattern contains a NUL character") }
        self.pattern = pattern
        self.kind = kind
        self.instance = instance
        self.reason = reason.map { $0.trimmingSpaces() }.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A stored pattern.
public struct BlacklistEntry: Sendable, Equatable {
    public let id: Int
    public let pattern: String
    public let kind: BlacklistKind
    /// `nil`: every instance.
    public let instanceName: String?
    public let reason: String?
    public let createdAt: Date

    public init(id: Int, pattern: String, kind: BlacklistKind, instanceName: String?, reason: String?, createdAt: Date) {
        self.id = id
        self.pattern = pattern
        self.kind = kind
        self.instanceName = instanceName
        self.reason = reason
        self.createdAt = createdAt
    }
}
