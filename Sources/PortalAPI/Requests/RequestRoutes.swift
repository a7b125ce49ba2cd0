import Foundation
import Hummingbird
import PortalStore
import QueryGateCore

/// `/api/v1/requests`: submit, list, read, cancel, approve and reject, through the store functions the Slack
/// gateway calls, so the rules, audit rows and Slack messages are the same whichever door a person uses. They reach
/// the store as a `RequestRepository` (`api.requests`), which a route test may give as a twin in memory.
struct RequestRoutes: Sendable {
    let api: PortalAPI

    struct SubmitBody: Decodable {
        let target: String
        let type: SubmissionType?
        let query: String
        let reason: String
    }

    struct RejectBody: Decodable {
        let reason: String
    }

    var routes: [APIRoute] {
        [
            APIRoute(.post, "requests") { request, context in try await submit(request, context) },
            APIRoute(.get, "requests") { request, context in try await list(request, context) },
            APIRoute(.get, "requests/:id") { _, context in
                let caller = try context.caller
                return try context.json(RequestView(try await visibleRequest(context, to: caller.user)))
            },
            APIRoute(.post, "requests/:id/approve") { _, context in
                let caller = try context.caller
                let id = try requestID(context)
                return try await answer(try await api.requests.approve(requestID: id, by: caller.user, via: .api), id: id, for: caller.user, context)
            },
            APIRoute(.post, "requests/:id/reject") { request, context in
                let caller = try context.caller
                let id = try requestID(context)
                let body = try await context.decode(RejectBody.self, from: request)
                return try await answer(
                    try await api.requests.reject(requestID: id, reason: body.reason, by: caller.user, via: .api), id: id, for: caller.user, context)
            },
            APIRoute(.post, "requests/:id/cancel") { _, context in
                let caller = try context.caller
                let id = try requestID(context)
                return try await answer(try await api.requests.cancel(requestID: id, by: caller.user, via: .api), id: id, for: caller.user, context)
            },
        ]
    }

    private func submit(_ request: Request, _ context: PortalRequestContext) async throws -> Response {
        let caller = try context.caller
        let body = try await context.decode(SubmitBody.self, from: request)
        let new = try NewRequest(target: body.target, queryText: body.query, reason: body.reason, submissionType: body.type ?? .query)
        let submitted = try await api.requests.submit(new, by: caller.user, via: .api)
        guard let details = try await api.requests.requestDetails(id: submitted.id) else { throw APIError.notFound }
        return try context.json(RequestView(details), status: .created, headers: [.location: "/api/v1/requests/\(submitted.id)"])
    }

    private func list(_ request: Request, _ context: PortalRequestContext) async throws -> Response {
        let caller = try context.caller
        let query = try QueryParameters(request, allowed: ["status", "pod", "database", "submitter", "from", "to", "limit", "cursor"])
        let filter = RequestFilter(
            status: try query.string("status").map { text throws(ValidationError) in
                guard let status = RequestStatus(rawValue: text) else {
                    throw ValidationError(field: "status", "'\(text.prefix(40))' is not a status: one of \(RequestStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return status
            },
            pod: try query.string("pod").map { text throws(ValidationError) in try PodName(text) },
            database: try query.string("database").map { text throws(ValidationError) in try RequestFilter.DatabaseSelector(text) },
            submitter: try query.string("submitter").map { text throws(ValidationError) in try EmailAddress(text, field: "submitter") },
            submittedFrom: try query.date("from"),
            submittedBefore: try query.date("to"))
        let page = try PageRequest(size: try query.integer("limit") ?? PageRequest.defaultSize, after: try query.integer("cursor"))
        let found = try await api.requests.listRequests(filter, visibleTo: caller.user, page: page)
        let next = found.hasMore ? found.requests.last.map { String($0.id) } : nil
        return try context.json(RequestList(requests: found.requests.map(RequestView.init), next_cursor: next))
    }

    /// The request the path names, if the caller may see it; otherwise 404, as if there were none.
    private func visibleRequest(_ context: PortalRequestContext, to user: User) async throws -> RequestDetails {
        guard let request = try await api.requests.requestDetails(id: try requestID(context)),
              RequestVisibility.allows(user, toSee: request)
        else { throw APIError.notFound }
        return request
    }

    private func requestID(_ context: PortalRequestContext) throws -> Int {
        guard let id = context.parameters.get("id").flatMap(RequestNumber.parse) else { throw APIError.notFound }
        return id
    }

    /// The answer to a decision. A caller who may not see the request learns nothing about it (404), whatever
    /// the store found; the store has audited the attempt either way.
    private func answer(_ outcome: DecisionOutcome, id: Int, for user: User, _ context: PortalRequestContext) async throws -> Response {
        let request = try await api.requests.requestDetails(id: id)
        guard let request, RequestVisibility.allows(user, toSee: request) else { throw APIError.notFound }
        switch outcome {
        // An approval that is not yet the last one needed answers the same: the view shows "1 of 2".
        case .decided, .approvalRecorded: return try context.json(RequestView(request))
        case .refused(let why): throw APIError(.forbidden, "forbidden", why)
        case .alreadyDecided(let status): throw APIError(.conflict, "conflict", "request #\(id) is already \(status.rawValue)")
        case .notFound: throw APIError.notFound
        }
    }
}
