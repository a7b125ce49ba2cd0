/// Who may see a request, wherever it is shown or decided (`/query status`, `/query cancel`, the buttons, the
/// rejection form, the portal's API): its requester, the managers of its pod, and admins; nobody inactive.
/// Everyone else gets the answer a request that does not exist gets, so that ids reveal nothing.
public enum RequestVisibility {
    public static func allows(_ user: User, toSee request: RequestDetails) -> Bool {
        allows(user, requestBy: request.requester.email, inPod: request.podName)
    }

    /// The rule itself, on the two facts it reads: who asked, and in which pod.
    public static func allows(_ user: User, requestBy requesterEmail: String, inPod podName: String) -> Bool {
        guard user.isActive else { return false }
        switch user.role {
        case .admin: return true
        case .manager: return user.podName == podName || user.email == requesterEmail
        case .developer: return user.email == requesterEmail
        }
    }
}
