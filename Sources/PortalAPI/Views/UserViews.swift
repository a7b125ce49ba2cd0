import Foundation
import PortalStore
import QueryGateCore

// What the API returns about users and their sessions, in the API's own snake_case words, kept apart from the
// domain types so that renaming a Swift property never changes the API (openapi.yaml describes these).

struct UserView: Encodable {
    let id: Int
    let email: String
    let name: String
    let role: String
    let pod: String?
    let slack_user_id: String?

    init(_ user: User) {
        id = user.id
        email = user.email
        name = user.name
        role = user.role.rawValue
        pod = user.podName
        slack_user_id = user.slackUserID
    }
}

struct SessionView: Encodable {
    let id: String
    let device: String?
    let ip_address: String?
    let created_at: Date
    let last_used_at: Date?
    let expires_at: Date
    let current: Bool

    init(_ session: PortalStore.Session, current: Bool) {
        id = session.id.uuidString
        device = session.deviceInfo
        ip_address = session.ipAddress
        created_at = session.createdAt
        last_used_at = session.lastUsedAt
        expires_at = session.expiresAt
        self.current = current
    }
}

/// The answer to a sign-in or a token rotation.
struct TokenPair: Encodable {
    let access_token: String
    let token_type: String
    let expires_in: Int
    let refresh_token: String
    let refresh_expires_in: Int
    let user: UserView
}
