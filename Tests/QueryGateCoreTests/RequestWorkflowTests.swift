import QueryGateCore
import Testing

/// The workflow's rules on their own, without a database: who may see a request, who may decide on it, and what
/// each decision does in each state.
@Suite("Request workflow rules")
struct RequestWorkflowTests {
    static func user(_ id: Int, _ role: Role, pod: (Int, String)? = (1, "payments"), active: Bool = true) -> User {
        User(id: id, email: "u\(id)@example.com", name: "U\(id)", role: role, podID: pod?.0, podName: pod?.1, slackUserID: nil, isActive: active)
    }

    static let requester = user(1, .developer)
    static let colleague = user(2, .developer)
    static let manager = user(3, .manager)
    static let otherManager = user(4, .manager, pod: (2, "search"))
    static let admin = user(5, .admin, pod: nil)
    static let podlessManager = user(6, .manager, pod: nil)
    static let retired = user(7, .admin, pod: nil, active: false)

    static func facts(_ status: RequestStatus = .pending) -> DecisionFacts {
        DecisionFacts(requesterID: 1, requesterEmail: "u1@example.com", podID: 1, podName: "payments", status: status)
    }

    @Test func visibilityScopes() {
        #expect(RequestVisibility.scope(of: Self.requester) == .own(userID: 1, email: "u1@example.com"))
        #expect(RequestVisibility.scope(of: Self.manager) == .ownAndPod(userID: 3, email: "u3@example.com", podID: 1, podName: "payments"))
        #expect(RequestVisibility.scope(of: Self.podlessManager) == .own(userID: 6, email: "u6@example.com"))
        #expect(RequestVisibility.scope(of: Self.admin) == .everything)
        #expect(RequestVisibility.scope(of: Self.retired) == .nothing)
    }

    @Test func whoSeesARequestOfPayments() {
        let sees = [Self.requester, Self.colleague, Self.manager, Self.otherManager, Self.admin, Self.podlessManager, Self.retired]
            .map { RequestVisibility.allows($0, requestBy: "u1@example.com", inPod: "payments") }
        #expect(sees == [true, false, true, false, true, false, false])
        // A manager sees their own request wherever it is.
        #expect(RequestVisibility.allows(Self.otherManager, requestBy: "u4@example.com", inPod: "payments"))
    }

    @Test func approvalPolicy() {
        func refusal(_ user: User) -> ApprovalPolicy.Refusal? { ApprovalPolicy.refusal(for: user.asDecider, requesterID: 1, podID: 1) }
        #expect(refusal(Self.manager) == nil)
        #expect(refusal(Self.admin) == nil)
        #expect(refusal(Self.requester) == .ownRequest)
        #expect(refusal(Self.colleague) == .notAnApprover)
        #expect(refusal(Self.otherManager) == .otherPod)
        #expect(refusal(Self.retired) == .inactive)
        // An admin who asked cannot approve their own request either.
        #expect(ApprovalPolicy.refusal(for: Self.admin.asDecider, requesterID: 5, podID: 1) == .ownRequest)
    }

    @Test func aPendingRequestMovesOnceTheRightPersonDecides() {
        #expect(RequestWorkflow.judge(.approve, by: Self.manager, on: Self.facts()) == .proceed(from: .pending, to: .approved))
        #expect(RequestWorkflow.judge(.reject(reason: "no"), by: Self.admin, on: Self.facts()) == .proceed(from: .pending, to: .rejected))
        #expect(RequestWorkflow.judge(.cancel, by: Self.requester, on: Self.facts()) == .proceed(from: .pending, to: .cancelled))
    }

    @Test func refusalsTellTheCallerOnlyWhatTheyMaySee() {
        // Someone who may not see the request is told what a missing one would say; the audit gets the real reason.
        #expect(RequestWorkflow.judge(.approve, by: Self.otherManager, on: Self.facts()) == .refuse(
            why: "may not see the request; you approve requests of your own pod only; this one belongs to another pod", answer: .notFound))
        #expect(RequestWorkflow.judge(.cancel, by: Self.colleague, on: Self.facts())
            == .refuse(why: "may not see the request; only the person who made a request can cancel it", answer: .notFound))
        let own = ApprovalPolicy.Refusal.ownRequest.explanation
        #expect(RequestWorkflow.judge(.approve, by: Self.requester, on: Self.facts()) == .refuse(why: own, answer: .refused(own)))
        let cancelByManager = "only the person who made a request can cancel it"
        #expect(RequestWorkflow.judge(.cancel, by: Self.manager, on: Self.facts()) == .refuse(why: cancelByManager, answer: .refused(cancelByManager)))
        let inactive = ApprovalPolicy.Refusal.inactive.explanation
        #expect(RequestWorkflow.judge(.approve, by: Self.retired, on: Self.facts()) == .refuse(why: inactive, answer: .refused(inactive)))
        #expect(RequestWorkflow.judge(.approve, by: Self.admin, on: nil) == .refuse(why: "no such request", answer: .notFound))
    }

    @Test(arguments: RequestStatus.allCases.filter { $0 != .pending })
    func aRequestNoLongerPendingIsTooLateForEveryDecision(status: RequestStatus) {
        #expect(RequestWorkflow.judge(.approve, by: Self.manager, on: Self.facts(status)) == .tooLate(status))
        #expect(RequestWorkflow.judge(.reject(reason: "x"), by: Self.manager, on: Self.facts(status)) == .tooLate(status))
        #expect(RequestWorkflow.judge(.cancel, by: Self.requester, on: Self.facts(status)) == .tooLate(status))
    }

    @Test func aRejectionNeedsAReason() throws {
        #expect(try RequestWorkflow.rejectionReason("  too broad \n") == "too broad")
        #expect(throws: ValidationError.self) { try RequestWorkflow.rejectionReason("   ") }
        #expect(throws: ValidationError.self) { try RequestWorkflow.rejectionReason(String(repeating: "x", count: NewRequest.maximumReasonLength + 1)) }
    }

    @Test func everyAuditActionIsDottedAndUnique() {
        let values = AuditAction.allCases.map(\.rawValue)
        #expect(Set(values).count == values.count)
        #expect(values.allSatisfy { $0.split(separator: ".").count == 2 })
    }

    // MARK: - Several approvals

    static func quorum(_ required: Int, approvedBy: [Int], status: RequestStatus = .pending) -> DecisionFacts {
        DecisionFacts(requesterID: 1, requesterEmail: "u1@example.com", podID: 1, podName: "payments", status: status,
                      approvalsRequired: required, approverIDs: approvedBy)
    }

    @Test func approvalsCountUntilTheLastOneMovesTheRequest() {
        #expect(RequestWorkflow.judge(.approve, by: Self.manager, on: Self.quorum(2, approvedBy: [])) == .recordApproval(approvals: 1, required: 2))
        #expect(RequestWorkflow.judge(.approve, by: Self.admin, on: Self.quorum(2, approvedBy: [3])) == .proceed(from: .pending, to: .approved))
        #expect(RequestWorkflow.judge(.approve, by: Self.admin, on: Self.quorum(3, approvedBy: [3])) == .recordApproval(approvals: 2, required: 3))
        // A rejection needs one, whatever the approvals so far.
        #expect(RequestWorkflow.judge(.reject(reason: "no"), by: Self.admin, on: Self.quorum(2, approvedBy: [3])) == .proceed(from: .pending, to: .rejected))
    }

    @Test func theSamePersonCountsOnceAndALateApprovalIsTooLate() {
        let why = "you have already approved this request; it needs 1 more approval from someone else"
        #expect(RequestWorkflow.judge(.approve, by: Self.manager, on: Self.quorum(2, approvedBy: [3])) == .refuse(why: why, answer: .refused(why)))
        #expect(RequestWorkflow.judge(.approve, by: Self.manager, on: Self.quorum(2, approvedBy: [3, 5], status: .approved)) == .tooLate(.approved))
        // Policy comes before counting: the requester is refused as always.
        #expect(RequestWorkflow.judge(.approve, by: Self.requester, on: Self.quorum(2, approvedBy: [])) == .refuse(
            why: ApprovalPolicy.Refusal.ownRequest.explanation, answer: .refused(ApprovalPolicy.Refusal.ownRequest.explanation)))
    }

    @Test func aPodsApprovalRuleIsByRiskClassAndRefusesNumbersNobodyCouldMeet() throws {
        var quorum = ApprovalQuorum.single
        try quorum.set(2, for: .dangerous)
        #expect(quorum.required(for: .dangerous) == 2 && quorum.required(for: .readOnly) == 1)
        #expect(quorum.summary == "1 read-only, 1 write, 1 DDL, 2 dangerous")
        #expect(ApprovalQuorum.single.summary == "1 for everything")
        #expect(throws: ValidationError.self) { try quorum.set(0, for: .write) }
        #expect(throws: ValidationError.self) { try quorum.set(6, for: .write) }
        #expect(quorum.required(for: .write) == 1, "a refused number changed the rule")
    }

    @Test func whatWaitsForWhomInTheInbox() {
        func request(approvedBy: [String] = [], status: RequestStatus = .pending) -> RequestDetails {
            RequestDetails(
                id: 1, status: status, submissionType: .query, queryText: "SELECT 1", reason: "r", target: "pg/db", databaseType: .postgresql,
                requester: .init(name: "U1", email: "u1@example.com", slackUserID: nil), podName: "payments", podChannelID: "C0PAY",
                managerSlackIDs: [], approver: nil, rejecter: nil, rejectionReason: nil, createdAt: .now, decidedAt: nil,
                slackChannelID: nil, slackMessageTS: nil, approvalsRequired: 2,
                approvals: approvedBy.map { .init(name: $0, email: $0 + "@example.com", slackUserID: nil) })
        }
        let waits = [Self.requester, Self.colleague, Self.manager, Self.otherManager, Self.admin, Self.podlessManager, Self.retired]
            .map { RequestWorkflow.awaitsDecision(of: $0, on: request()) }
        #expect(waits == [false, false, true, false, true, false, false])
        // Whom a store asks at all: nothing waits for anyone it skips.
        let everyone = [Self.requester, Self.colleague, Self.manager, Self.otherManager, Self.admin, Self.podlessManager, Self.retired]
        #expect(everyone.map(RequestWorkflow.decidesAny) == [false, false, true, true, true, true, false])
        #expect(zip(everyone, waits).allSatisfy { RequestWorkflow.decidesAny($0) || !$1 })
        #expect(!RequestWorkflow.awaitsDecision(of: Self.manager, on: request(approvedBy: ["u3"])), "they approved it already")
        #expect(RequestWorkflow.awaitsDecision(of: Self.admin, on: request(approvedBy: ["u3"])))
        #expect(!RequestWorkflow.awaitsDecision(of: Self.admin, on: request(status: .approved)))
    }
}
