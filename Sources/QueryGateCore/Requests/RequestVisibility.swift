/// Who may see a request, wherever it is shown or decided (`/query status`, `/query cancel`, the buttons, the
/// rejection form, the portal's API, the request list): its requester, the managers of its pod, and admins; nobody
/// inactive. Everyone else gets the answer a request that does not exist gets, so that ids reveal nothing.
///
/// The rule is `scope(of:)`, once: the in-memory check below and the store's SQL filter for lists are both read
/// off the scope, so they cannot disagree.
public enum RequestVisibility {
    /// The requests a user may see.
    public enum Scope: Sendable, Equatable {
        /// None at all (a deactivated account).
        case nothing
        /// Their own: requested by this user (id for SQL, e-mail for a loaded request).
        case own(userID: Int, email: String)
        /// Their own and every request of their pod.
        case ownAndPod(userID: Int, email: String, podID: Int, podName: String)
        case everything

        /// Whether a request by `requesterEmail` in pod `podName` is in the scope.
        public func includes(requestBy requesterEmail: String, inPod podName: String) -> Bool {
            switch self {
            case .nothing: false
            case .own(_, let email): email == requesterEmail
            case .ownAndPod(_, let email, _, let pod): email == requesterEmail || pod == podName
            case .everything: true
            }
        }
    }

    public static func scope(of user: User) -> Scope {
        guard user.isActive else { return .nothing }
        switch user.role {
        case .admin: return .everything
        case .manager:
            guard let podID = user.podID, let podName = user.podName else { return .own(userID: user.id, email: user.email) }
            return .ownAndPod(userID: user.id, email: user.email, podID: podID, podName: podName)
        case .developer: return .own(userID: user.id, email: user.email)
        }
    }

    public static func allows(_ user: User, toSee request: RequestDetails) -> Bool {
        allows(user, requestBy: request.requester.email, inPod: request.podName)
    }

    /// The rule on the two facts it reads: who asked, and in which pod.
    public static func allows(_ user: User, requestBy requesterEmail: String, inPod podName: String) -> Bool {
        scope(of: user).includes(requestBy: requesterEmail, inPod: podName)
    }
}
