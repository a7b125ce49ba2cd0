/// Who may decide on a request, decided from the database at the moment of the click, never from the message
/// the button sits in (docs/architecture.md, "Where each rule lives").
public enum ApprovalPolicy {
    /// What the policy needs to know about the person deciding.
    public struct Decider: Sendable, Equatable {
        public let userID: Int
        public let role: Role
        public let podID: Int?
        public let isActive: Bool

        public init(userID: Int, role: Role, podID: Int?, isActive: Bool) {
            self.userID = userID
            self.role = role
            self.podID = podID
            self.isActive = isActive
        }
    }

    /// Why a decision is refused. Each has a sentence for the person who clicked.
    public enum Refusal: String, Sendable, Equatable, Codable {
        case inactive
        case ownRequest
        case notAnApprover
        case otherPod

        public var explanation: String {
            switch self {
            case .inactive: "your QueryGate account is deactivated"
            case .ownRequest: "nobody approves or rejects their own request; another approver of your pod has to"
            case .notAnApprover: "only the pod's managers and admins approve or reject requests"
            case .otherPod: "you approve requests of your own pod only; this one belongs to another pod"
            }
        }
    }

    /// Whether `user` is one of the approvers a request of pod `podID` names (the submission's answer lists them, its
    /// message mentions them): the pod's active managers. Admins may decide too, unnamed.
    public static func isNamedApprover(_ user: User, ofPod podID: Int) -> Bool {
        user.isActive && user.role == .manager && user.podID == podID
    }

    /// `nil` when `decider` may approve or reject a request of `podID` made by `requesterID`.
    public static func refusal(for decider: Decider, requesterID: Int, podID: Int) -> Refusal? {
        guard decider.isActive else { return .inactive }
        guard decider.userID != requesterID else { return .ownRequest }
        switch decider.role {
        case .admin: return nil
        case .manager: return decider.podID == podID ? nil : .otherPod
        case .developer: return .notAnApprover
        }
    }
}
