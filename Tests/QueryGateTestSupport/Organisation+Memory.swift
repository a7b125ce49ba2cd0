import PortalStore
import QueryGateCore

extension Organisation {
    /// The same organisation in the twins, for tests that need no database: its pods, its people (Olga
    /// deactivated) and its target, with the ids `seed(_: PortalStore)` gives them. With `sessions`, every person
    /// signs in there with the portal password whose hash is `passwordHash`: the API's authentication hands a user
    /// from one twin to the other.
    public static func seed(_ requests: MemoryRequestRepository, sessions: MemorySessionStore? = nil, passwordHash: String = "") async throws {
        for pod in pods { await requests.addPod(pod.name, channelID: pod.channelID) }
        for person in people {
            let user = await requests.addUser(email: person.email, name: person.name, role: person.role, pod: person.pod,
                                              slackUserID: person.slackUserID, isActive: person.email != Emails.olga)
            await sessions?.add(user, passwordHash: passwordHash)
        }
        try await requests.addTarget(target)
    }
}
