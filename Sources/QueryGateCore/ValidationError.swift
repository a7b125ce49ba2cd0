/// Input that QueryGate refuses, with the field it concerns and a sentence a person can act on.
///
/// Every interface shows `message` as is: the CLI prints it, Slack and the API will return it with `field`.
public struct ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The name of the offending input, as the user typed it (`email`, `slack-id`, `pod`...).
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension ValidationError {
    /// An instance name that names no instance, said the same way by every door (the CLI, the API, Slack).
    public static func noInstance(named name: InstanceName) -> ValidationError {
        ValidationError(field: "instance", "there is no instance named '\(name)' (see `querygate instances list`)")
    }
}
