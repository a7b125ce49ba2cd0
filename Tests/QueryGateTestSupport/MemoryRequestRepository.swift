import Foundation
import PortalStore
import QueryGateCore

/// `RequestRepository` in memory: the portal API's requests without a database, for route tests. It decides with
/// the core's rules, as `PortalStore` does, never with copies of them: `SubmissionRules` for who may submit, which
/// targets take requests and the text's risk on the target's engine, `ApprovalQuorum` for the approvals a request
/// needs, `RequestWorkflow.judge` (and so `RequestVisibility`, `ApprovalPolicy` and `RequestStatus`) for every
/// decision, `RequestVisibility` for what a list shows. What the PostgreSQL store does in SQL alone (the order in
/// which `querygate_record_submission` checks a target, a list's filters and its order) is mirrored here and says so.
/// `RequestContractTests` runs the same stories through both to keep the two alike.
///
/// It is also the twin of `SlackDesk` (`MemorySlackDesk.swift`), held to it by `SlackDeskContractTests`: it keeps
/// the answers Slack's routes queue (`queued`), but not the approval messages, direct messages and Home tab
/// refreshes the SQL queues with a request's changes, which are what `NotificationOutbox` and its twin are about.
public actor MemoryRequestRepository: RequestRepository {
    public struct Pod: Sendable {
        public let id: Int
        public let name: String
        public let channelID: String
        public var quorum: ApprovalQuorum
        /// The pod's own time to live for requests (`pods.request_ttl_seconds`); nil: QueryGate's default.
        public var requestTTLSeconds: Int? = nil
    }

    public struct Target: Sendable {
        public let path: TargetPath
        public let type: DatabaseType
        public var isActive: Bool
        /// The last database sync did not find it (`databases.missing_since`).
        public var isMissing: Bool
    }

    /// An audit row as the store writes it, with the facts a test reads back.
    public struct Audited: Sendable, Equatable {
        public let action: AuditAction
        public let requestID: Int?
        public let actor: String
        public let source: AuditSource
        public let details: [String: String]
    }

    /// A request as `query_requests` holds it: ids of people and pods, which a read joins.
    struct Record {
        let id: Int
        let requesterID: Int
        let podID: Int
        let target: Target
        let submissionType: SubmissionType
        let queryText: String
        let reason: String
        var status: RequestStatus
        let approvalsRequired: Int
        var approverIDs: [Int] = []
        var approvedBy: Int?
        var rejectedBy: Int?
        var rejectionReason: String?
        /// A var so that a test can move it into the past, as the PostgreSQL tests move `created_at`.
        var createdAt: Date
        /// When it was approved, rejected or cancelled (`approved_at` for an approved one).
        var decidedAt: Date?
        /// When QueryGate reminded its approvers before expiry (`query_requests.reminded_at`).
        var remindedAt: Date?
        /// The requester's last `/query remind` (`query_requests.nudged_at`).
        var nudgedAt: Date?
    }

    // Internal rather than private: `MemorySlackDesk.swift` reads them too.
    var pods: [Int: Pod] = [:]
    var users: [Int: User] = [:]
    private var targets: [Target] = []
    var records: [Int: Record] = [:]
    private var nextUserID = 1
    private var nextRequestID = 1
    /// Every audit row the store would have written for requests, in order.
    public internal(set) var audit: [Audited] = []
    /// What the Slack routes (`SlackDesk`) and the reminder sweep (`ExpirySweeps`) queued for the outbox, in order;
    /// the approval messages, direct messages and Home tab refreshes that the SQL queues with a request's changes are
    /// not kept.
    public internal(set) var queued: [QueuedAnswer] = []
    /// Whose Home tab is kept up to date (`users.home_opened_at`).
    public internal(set) var homeTabOpened: Set<String> = []

    public init() {}

    // MARK: - Setup, as the admin commands would make it

    /// Adds a pod with one approval for everything unless `quorum` says otherwise; returns its id.
    @discardableResult
    public func addPod(_ name: String, channelID: String, quorum: ApprovalQuorum = .single) -> Int {
        let id = (pods.keys.max() ?? 0) + 1
        pods[id] = Pod(id: id, name: name, channelID: channelID, quorum: quorum)
        return id
    }

    /// Sets the approvals a pod's requests need from now on; requests made before keep theirs (`ApprovalQuorum`).
    public func setApprovals(of pod: String, _ quorum: ApprovalQuorum) {
        guard let id = pods.values.first(where: { $0.name == pod })?.id else { return }
        pods[id]?.quorum = quorum
    }

    /// Adds a person (in the pod named `pod`, if any) and returns them as the API's authentication would.
    @discardableResult
    public func addUser(email: String, name: String, role: Role, pod: String?, slackUserID: String?, isActive: Bool = true) -> User {
        let found = pod.flatMap { name in pods.values.first { $0.name == name } }
        let user = User(id: nextUserID, email: email, name: name, role: role, podID: found?.id, podName: found?.name,
                        slackUserID: slackUserID, isActive: isActive)
        users[user.id] = user
        nextUserID += 1
        return user
    }

    /// Adds a database that requests may name as `<instance>/<database>`.
    public func addTarget(_ path: String, type: DatabaseType = .postgresql, isActive: Bool = true, isMissing: Bool = false) throws {
        targets.append(Target(path: try TargetPath(path), type: type, isActive: isActive, isMissing: isMissing))
    }

    public var requestCount: Int { records.count }

    // MARK: - RequestRepository

    public func submit(_ request: NewRequest, by requester: User, via source: AuditSource) async throws -> PortalStore.Submitted {
        let podID = try SubmissionRules.pod(of: requester)
        let levels = SubmissionRules.Levels(request)
        let target = targets.first { $0.path == request.target }
        let level = try SubmissionRules.level(
            on: target.map { SubmissionRules.TargetState(engine: $0.type, isMissing: $0.isMissing, isEnabled: $0.isActive) },
            at: request.target, levels)
        guard let pod = pods[podID] else { throw SubmissionRules.Refusal.noPod.error(for: request.target) }
        guard let target else { preconditionFailure("SubmissionRules.level accepted a target that is not there") }

        let id = nextRequestID
        nextRequestID += 1
        records[id] = Record(
            id: id, requesterID: requester.id, podID: podID, target: target, submissionType: request.submissionType,
            queryText: request.queryText, reason: request.reason, status: .pending, approvalsRequired: pod.quorum.required(for: level),
            createdAt: Date())
        audit.append(Audited(action: .requestSubmitted, requestID: id, actor: requester.email, source: source,
                             details: ["target": request.target.description, "type": request.submissionType.rawValue]))
        return PortalStore.Submitted(id: id, target: request.target.description, podName: pod.name, channelID: pod.channelID,
                                     approvers: managers(of: podID).map(Self.person), approvalsRequired: pod.quorum.required(for: level))
    }

    public func requestDetails(id: Int) async throws -> RequestDetails? {
        records[id].flatMap(details)
    }

    public func listRequests(_ filter: RequestFilter, visibleTo user: User, page: PageRequest) async throws -> (requests: [RequestDetails], hasMore: Bool) {
        // What the caller may see is the core's rule (the SQL's filter is read off the same scope); the filters,
        // the order (newest first, by id) and the keyset page mirror the SQL of `PortalStore.listRequests`.
        let scope = RequestVisibility.scope(of: user)
        let found = records.values.sorted { $0.id > $1.id }.compactMap(details).filter { request in
            guard scope.includes(requestBy: request.requester.email, inPod: request.podName) else { return false }
            if let status = filter.status, request.status != status { return false }
            if let pod = filter.pod, request.podName != pod.rawValue { return false }
            switch filter.database {
            case .target(let path): if request.target != path.description { return false }
            case .named(let name): if records[request.id]?.target.path.database != name { return false }
            case nil: break
            }
            if let submitter = filter.submitter, request.requester.email != submitter.rawValue { return false }
            if let from = filter.submittedFrom, request.createdAt < from { return false }
            if let before = filter.submittedBefore, request.createdAt >= before { return false }
            if let after = page.after, request.id >= after { return false }
            return true
        }
        return (Array(found.prefix(page.size)), found.count > page.size)
    }

    public func approve(requestID: Int, by decider: User, via source: AuditSource) async throws -> DecisionOutcome {
        decide(.approve, requestID: requestID, by: decider, via: source)
    }

    public func reject(requestID: Int, reason: String, by decider: User, via source: AuditSource) async throws -> DecisionOutcome {
        decide(.reject(reason: try RequestWorkflow.rejectionReason(reason)), requestID: requestID, by: decider, via: source)
    }

    public func cancel(requestID: Int, by requester: User, via source: AuditSource) async throws -> DecisionOutcome {
        decide(.cancel, requestID: requestID, by: requester, via: source)
    }

    // MARK: - Deciding

    /// Judges `decision` with `RequestWorkflow` on the facts `decisionContext` would read, and applies the verdict
    /// as `querygate_apply_decision` (migration 014) does. The actor's isolation plays the row lock's part: no
    /// other decision lands between the facts and the change, so none is judged twice.
    func decide(_ decision: Decision, requestID: Int, by user: User, via source: AuditSource) -> DecisionOutcome {
        func audited(_ action: AuditAction, _ details: [String: String]) {
            audit.append(Audited(action: action, requestID: requestID, actor: user.email, source: source, details: details))
        }
        let verdict = RequestWorkflow.judge(decision, by: user, on: facts(of: requestID))
        switch verdict {
        case .refuse, .tooLate:
            return answerAudited(verdict, of: decision, on: requestID, by: user, via: source) ?? .notFound
        case .recordApproval(let approvals, let required):
            records[requestID]?.approverIDs.append(user.id)
            audited(.approvalRecorded, ["approvals": "\(approvals) of \(required)"])
            return .approvalRecorded(approvals: approvals, required: required)
        case .proceed(_, let to):
            guard var record = records[requestID] else { return .notFound }
            if decision == .approve {
                record.approverIDs.append(user.id)
                record.approvedBy = user.id
            }
            if case .reject(let reason) = decision {
                record.rejectedBy = user.id
                record.rejectionReason = reason
            }
            record.status = to
            record.decidedAt = Date()
            records[requestID] = record
            var details: [String: String] = [:]
            details["reason"] = decision.rejectionReason
            audited(decision.auditAction, details)
            return .decided(to)
        }
    }

    /// As `PortalStore.auditRefusal`: a verdict that refuses, or finds the request decided, changes nothing but the
    /// audit log, and this is the caller's answer; nil for a verdict that acts.
    func answerAudited(_ verdict: RequestWorkflow.Verdict, of decision: Decision, on requestID: Int, by user: User,
                       via source: AuditSource) -> DecisionOutcome? {
        func audited(_ action: AuditAction, _ details: [String: String]) {
            audit.append(Audited(action: action, requestID: requestID, actor: user.email, source: source, details: details))
        }
        switch verdict {
        case .refuse(let why, let answer):
            audited(decision.refusalAuditAction, ["why": why])
            return answer
        case .tooLate(let status):
            audited(.decisionLost, ["decision": decision.target.rawValue, "status": status.rawValue])
            return .alreadyDecided(status)
        case .proceed, .recordApproval:
            return nil
        }
    }

    /// What `PortalStore.decisionFacts` reads: the requester, the pod, the status, the quorum and who approved.
    func facts(of requestID: Int) -> DecisionFacts? {
        guard let record = records[requestID], let requester = users[record.requesterID], let pod = pods[record.podID] else { return nil }
        return DecisionFacts(requesterID: record.requesterID, requesterEmail: requester.email, podID: record.podID, podName: pod.name,
                             status: record.status, approvalsRequired: record.approvalsRequired, approverIDs: record.approverIDs)
    }

    // MARK: - Reading, as the SQL joins

    /// The pod's active managers, by name (the approvers `querygate_record_submission` returns, and whom a message mentions).
    private func managers(of podID: Int) -> [User] {
        users.values.filter { ApprovalPolicy.isNamedApprover($0, ofPod: podID) }.sorted { $0.name < $1.name }
    }

    private static func person(_ user: User) -> RequestDetails.Person {
        RequestDetails.Person(name: user.name, email: user.email, slackUserID: user.slackUserID)
    }

    func details(_ record: Record) -> RequestDetails? {
        guard let requester = users[record.requesterID], let pod = pods[record.podID] else { return nil }
        return RequestDetails(
            id: record.id, status: record.status, submissionType: record.submissionType, queryText: record.queryText, reason: record.reason,
            target: record.target.path.description, databaseType: record.target.type, requester: Self.person(requester), podName: pod.name,
            podChannelID: pod.channelID, managerSlackIDs: managers(of: record.podID).compactMap(\.slackUserID),
            approver: record.approvedBy.flatMap { users[$0] }.map(Self.person), rejecter: record.rejectedBy.flatMap { users[$0] }.map(Self.person),
            rejectionReason: record.rejectionReason, createdAt: record.createdAt, decidedAt: record.decidedAt, slackChannelID: nil,
            slackMessageTS: nil, approvalsRequired: record.approvalsRequired,
            approvals: record.approverIDs.compactMap { users[$0] }.map(Self.person))
    }
}
