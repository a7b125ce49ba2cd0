/// A setting that stops start-up. It names the variable and what is wrong, and never repeats the value:
/// the value may be a secret, and the operator knows what they typed.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public let variable: String
    public let problem: String

    public init(_ variable: String, _ problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "configuration error: \(variable) \(problem)" }
}
