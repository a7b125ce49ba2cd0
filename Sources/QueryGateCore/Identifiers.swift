/// Checked identifiers. Each type can only hold a value that passed its rules, so code that receives one
/// never checks again. The rules match the CHECK constraints of the portal schema (Migrations/001, 003).

/// A Slack user id such as `U0DEV0001` (`W…` for Enterprise Grid users).
public struct SlackUserID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String, field: String = "slack-id") throws(ValidationError) {
        guard Self.isSlackID(text, prefixes: "UW") else {
            throw ValidationError(
                field: field,
                "'\(text.prefix(40))' is not a Slack user id (it looks like U0123ABCD: a U or W, then capitals and digits; "
                    + "find it in Slack under the profile's ⋮ > Copy member ID)"
            )
        }
        self.rawValue = text
    }

    public var description: String { rawValue }

    static func isSlackID(_ text: String, prefixes: String) -> Bool {
        guard let first = text.first, prefixes.contains(first), (3...31).contains(text.count) else { return false }
        return text.dropFirst().allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }
}

/// A Slack channel id such as `C0APPROVE1` (`G…` for older private channels). Ids, not names: names change.
public struct SlackChannelID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String, field: String = "channel") throws(ValidationError) {
        guard SlackUserID.isSlackID(text, prefixes: "CG") else {
            throw ValidationError(
                field: field,
                "'\(text.prefix(40))' is not a Slack channel id (it looks like C0123ABCD; find it in the channel's details, "
                    + "at the bottom of the About tab)"
            )
        }
        self.rawValue = text
    }

    public var description: String { rawValue }
}

/// An e-mail address, lower-cased so that `Ada@Example.com` and `ada@example.com` are one person.
public struct EmailAddress: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String, field: String = "email") throws(ValidationError) {
        let email = text.trimmingSpaces().lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        let isValid =
            parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".")
            && !parts[1].hasSuffix(".") && email.count <= 254 && !email.contains(where: \.isWhitespace)
        guard isValid else {
            throw ValidationError(field: field, "'\(text.prefix(80))' is not an e-mail address")
        }
        self.rawValue = email
    }

    public var description: String { rawValue }
}

/// The name of a pod: lower-case letters, digits, `-` and `_`, as people type it in commands.
public struct PodName: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String, field: String = "pod") throws(ValidationError) {
        let isValid =
            (1...63).contains(text.count) && text.first.map(\.isLetterOrDigitASCII) == true
            && text.allSatisfy { ($0.isLetterOrDigitASCII && !$0.isUppercase) || $0 == "-" || $0 == "_" }
        guard isValid else {
            throw ValidationError(
                field: field,
                "'\(text.prefix(80))' is not a valid pod name (1 to 63 lower-case letters, digits, - or _, starting with a letter or digit)"
            )
        }
        self.rawValue = text
    }

    public var description: String { rawValue }
}

/// The name of a database instance, the first half of a target written `<instance>/<database>`.
public struct InstanceName: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String, field: String = "instance") throws(ValidationError) {
        // By byte: every allowed character is one ASCII byte, so the bytes decide as the characters would, without
        // a grapheme break and a property look-up each (every `/query` names an instance).
        let utf8 = text.utf8
        let isValid =
            (1...63).contains(utf8.count) && utf8.first.map(\.isLetterOrDigitASCII) == true
            && utf8.allSatisfy { $0.isLetterOrDigitASCII || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
        guard isValid else {
            throw ValidationError(
                field: field,
                "'\(text.prefix(80))' is not a valid instance name (1 to 63 letters, digits, '.', '-' or '_', starting with a letter or digit)"
            )
        }
        self.rawValue = text
    }

    public var description: String { rawValue }
}

/// The name of a database within an instance: anything the server allows, except `/` and white space,
/// which would make `<instance>/<database>` ambiguous.
public struct DatabaseName: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String, field: String = "database") throws(ValidationError) {
        // ASCII by byte: a name with no white space has one byte per character, and one with some is refused anyway.
        let utf8 = text.utf8
        let isASCII = utf8.allSatisfy { $0 < 0x80 }
        let hasSpace = isASCII ? utf8.contains(where: \.isWhiteSpaceASCII) : text.contains(where: \.isWhitespace)
        guard (1...63).contains(isASCII ? utf8.count : text.count), !utf8.contains(UInt8(ascii: "/")), !hasSpace else {
            throw ValidationError(
                field: field,
                "'\(text.prefix(80))' is not a valid database name (1 to 63 characters, no '/' and no spaces)"
            )
        }
        self.rawValue = text
    }

    public var description: String { rawValue }
}

/// The name of an environment variable (or of a prefix of several), such as `PG_INSTANCE_1`.
public struct EnvironmentVariableName: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String, field: String) throws(ValidationError) {
        let isValid =
            (1...63).contains(text.count) && text.first.map { $0 == "_" || ($0.isASCII && $0.isUppercase) } == true
            && text.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isUppercase || $0.isNumber)) }
        guard isValid else {
            throw ValidationError(
                field: field,
                "'\(text.prefix(80))' is not an environment variable name (capitals, digits and _, such as PG_INSTANCE_1)"
            )
        }
        self.rawValue = text
    }

    public var description: String { rawValue }
}

extension Character {
    var isLetterOrDigitASCII: Bool { isASCII && (isLetter || isNumber) }
}

extension UInt8 {
    var isLetterOrDigitASCII: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }

    /// U+0009 to U+000D and the space: the ASCII characters `Character.isWhitespace` calls white.
    /// Internal, yet inlinable with the trimming that uses it in other modules.
    @inlinable var isWhiteSpaceASCII: Bool { self == 0x20 || (0x09...0x0D).contains(self) }
}

extension StringProtocol {
    /// The text without leading and trailing white space (Foundation-free, so the core stays dependency-free).
    /// Only the ends are looked at, and the middle copied as it is: every request's text passes here.
    /// Inlinable so that callers in other modules get it specialised for `String` and `Substring`: generic, its
    /// walk through `UTF8View` went through witness tables at every byte (5% of a submission's CPU).
    @inlinable public func trimmingSpaces() -> String {
        // ASCII text, most of it, by byte: there every character is one byte (or `\r\n`, both white), and white
        // space is U+0009 to U+000D and U+0020. Walking characters costs a grapheme break and a property look-up each.
        let utf8 = self.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            let isWhite = { (byte: UInt8) in byte.isWhiteSpaceASCII }
            var first: Index?
            var last: Index?
            var index = utf8.startIndex
            while index < utf8.endIndex {
                if !isWhite(utf8[index]) {
                    first = first ?? index
                    last = index
                }
                index = utf8.index(after: index)
            }
            guard let first, let last else { return "" }
            return String(self[first...last])
        }
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }

    /// The text up to its first white space, all of it when it has none: a command's first word. By byte for ASCII
    /// text, where the first white byte is where the first white character starts.
    @inlinable public func upToFirstSpace() -> SubSequence {
        let utf8 = self.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return prefix { !$0.isWhitespace } }
        return self[..<(utf8.firstIndex(where: \.isWhiteSpaceASCII) ?? endIndex)]
    }
}
