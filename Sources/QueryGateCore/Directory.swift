import Foundation

/// The people, teams and databases QueryGate knows: what the administration commands create and list.

public struct Pod: Sendable, Equatable {
    public let id: Int
    public let name: String
    public let slackChannelID: String
    public let description: String?
    public let isActive: Bool
    /// E-mail addresses of the pod's active managers.
    public let managers: [String]
    public let memberCount: Int
    /// How long the pod's requests stay open (seconds); `nil` follows `QUERYGATE_REQUEST_TTL`.
    public let requestTTLSeconds: Int?
    /// How many distinct approvals its requests need, by risk class.
    public let approvals: ApprovalQuorum

    public init(id: Int, name: String, slackChannelID: String, description: String?, isActive: Bool, managers: [String], memberCount: Int,
                requestTTLSeconds: Int? = nil, approvals: ApprovalQuorum = .single) {
        self.requestTTLSeconds = requestTTLSeconds
        self.approvals = approvals
        self.id = id
        self.name = name
        self.slackChannelID = slackChannelID
        self.description = description
        self.isActive = isActive
        self.managers = managers
        self.memberCount = memberCount
    }
}

public struct NewPod: Sendable {
    public let name: PodName
    public let slackChannelID: SlackChannelID
    public let description: String?

    public init(name: PodName, slackChannelID: SlackChannelID, description: String?) {
        self.name = name
        self.slackChannelID = slackChannelID
        self.description = description.map { $0.trimmingSpaces() }.flatMap { $0.isEmpty ? nil : $0 }
    }
}

public struct User: Sendable, Equatable {
    public let id: Int
    public let email: String
    public let name: String
    public let role: Role
    public let podID: Int?
    public let podName: String?
    public let slackUserID: String?
    public let isActive: Bool

    public init(id: Int, email: String, name: String, role: Role, podID: Int?, podName: String?, slackUserID: String?, isActive: Bool) {
        self.id = id
        self.email = email
        self.name = name
        self.role = role
        self.podID = podID
        self.podName = podName
        self.slackUserID = slackUserID
        self.isActive = isActive
    }

    /// What the approval policy needs to know about this user.
    public var asDecider: ApprovalPolicy.Decider {
        ApprovalPolicy.Decider(userID: id, role: role, podID: podID, isActive: isActive)
    }
}

public struct NewUser: Sendable {
    public let email: EmailAddress
    public let name: String
    public let role: Role
    public let pod: PodName?
    public let slackUserID: SlackUserID?

    /// - Throws: `ValidationError` when the name is blank or a developer or manager has no pod.
    public init(email: EmailAddress, name: String, role: Role, pod: PodName?, slackUserID: SlackUserID?) throws(ValidationError) {
        let name = name.trimmingSpaces()
        guard !name.isEmpty else { throw ValidationError(field: "name", "a user needs a name") }
        guard pod != nil || !role.requiresPod else {
            throw ValidationError(field: "pod", "a \(role.rawValue) must belong to a pod (its approvals are routed through it)")
        }
        self.email = email
        self.name = name
        self.role = role
        self.pod = pod
        self.slackUserID = slackUserID
    }
}

/// How QueryGate finds an instance's credentials: by the names of environment variables, never by value.
public enum InstanceCredentials: Sendable, Equatable {
    /// PostgreSQL: `<PREFIX>_HOST`, `<PREFIX>_PORT`, `<PREFIX>_USER`, `<PREFIX>_PASSWORD`.
    case environmentPrefix(EnvironmentVariableName)
    /// MongoDB: the variable that holds the connection string.
    case connectionStringVariable(EnvironmentVariableName)

    /// The credentials reference that fits `type`, from what the operator gave.
    public init(type: DatabaseType, environmentPrefix: String?, connectionStringVariable: String?) throws(ValidationError) {
        switch type {
        case .postgresql:
            guard connectionStringVariable == nil else {
                throw ValidationError(field: "connection-string-env", "a postgresql instance takes --credentials-env-prefix, not a connection string")
            }
            guard let prefix = environmentPrefix else {
                throw ValidationError(field: "credentials-env-prefix", "a postgresql instance needs --credentials-env-prefix (such as PG_INSTANCE_1)")
            }
            self = .environmentPrefix(try EnvironmentVariableName(prefix, field: "credentials-env-prefix"))
        case .mongodb:
            guard environmentPrefix == nil else {
                throw ValidationError(field: "credentials-env-prefix", "a mongodb instance takes --connection-string-env, not a prefix")
            }
            guard let variable = connectionStringVariable else {
                throw ValidationError(field: "connection-string-env", "a mongodb instance needs --connection-string-env (such as MONGO_INSTANCE_1_URI)")
            }
            self = .connectionStringVariable(try EnvironmentVariableName(variable, field: "connection-string-env"))
        }
    }

    /// The environment variables this reference reads.
    public var variableNames: [String] {
        switch self {
        case .environmentPrefix(let prefix): ["HOST", "PORT", "USER", "PASSWORD"].map { "\(prefix.rawValue)_\($0)" }
        case .connectionStringVariable(let variable): [variable.rawValue]
        }
    }
}

public struct DatabaseInstance: Sendable, Equatable {
    public let id: Int
    public let name: String
    public let type: DatabaseType
    public let credentials: InstanceCredentials?
    public let description: String?
    public let isActive: Bool
    public let databaseCount: Int
    /// When the last sync of this instance ended (`nil`: never synced), how, and the counts of its history row.
    public let lastSyncAt: Date?
    public let lastSyncStatus: String?
    public let lastSyncCounts: SyncCounts?

    public init(id: Int, name: String, type: DatabaseType, credentials: InstanceCredentials?, description: String?, isActive: Bool, databaseCount: Int,
                lastSyncAt: Date? = nil, lastSyncStatus: String? = nil, lastSyncCounts: SyncCounts? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.credentials = credentials
        self.description = description
        self.isActive = isActive
        self.databaseCount = databaseCount
        self.lastSyncAt = lastSyncAt
        self.lastSyncStatus = lastSyncStatus
        self.lastSyncCounts = lastSyncCounts
    }
}

public struct NewInstance: Sendable {
    public let name: InstanceName
    public let type: DatabaseType
    public let credentials: InstanceCredentials
    public let description: String?

    public init(name: InstanceName, type: DatabaseType, credentials: InstanceCredentials, description: String?) {
        self.name = name
        self.type = type
        self.credentials = credentials
        self.description = description.map { $0.trimmingSpaces() }.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A database a request can target, written `<instance>/<database>`.
public struct TargetDatabase: Sendable, Equatable {
    public let id: Int
    public let instanceName: String
    public let instanceType: DatabaseType
    public let name: String
    public let description: String?
    public let source: String
    public let isActive: Bool
    /// A sync found it gone from its server (it is then inactive); `false` for one disabled by hand.
    public let isMissing: Bool

    public init(id: Int, instanceName: String, instanceType: DatabaseType, name: String, description: String?, source: String, isActive: Bool,
                isMissing: Bool = false) {
        self.id = id
        self.instanceName = instanceName
        self.instanceType = instanceType
        self.name = name
        self.description = description
        self.source = source
        self.isActive = isActive
        self.isMissing = isMissing
    }

    public var path: String { "\(instanceName)/\(name)" }
}
