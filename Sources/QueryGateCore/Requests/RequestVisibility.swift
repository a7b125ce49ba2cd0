/// Who may see a request, wherever it is shown (`/query status`, the portal's API): its requester, the managers
/// of its pod, and admins. Everyone else is told there is no such request, so that ids reveal nothing.
public enum RequestVisibility {
    public static func allows(_ user: User, toSee request: RequestDetails) -> Bool {
        guard user.isActive else { return false }
        switch user.role {
        case .admin: return true
        case .manager: return user.podName == request.podName || user.email == request.requester.email
        case .developer: return user.email == request.requester.email
        }
    }
}
