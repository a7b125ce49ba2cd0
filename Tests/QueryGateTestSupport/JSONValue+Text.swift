import QueryGateCore
import SlackGateway

extension JSONValue {
    /// Every string anywhere inside, joined: for asserting what a message says.
    public var allText: String {
        switch self {
        case .string(let text): text
        case .array(let values): values.map(\.allText).joined(separator: "\n")
        case .object(let object): object.keys.sorted().map { object[$0]!.allText }.joined(separator: "\n")
        default: ""
        }
    }
}
