/// A value that must never reach a log, a message or the database. Printing it prints `<redacted>`;
/// `reveal()` is the one way to the text, and each call site of it is where the secret is used.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    public init(_ value: String) { self.value = value }

    public func reveal() -> String { value }

    public var byteCount: Int { value.utf8.count }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
