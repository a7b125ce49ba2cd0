import Foundation
import Hummingbird
import PortalStore
import QueryGateCore

/// Admins steer the hybrid sync: ask for a sync of an instance, read its history, and keep the blacklist.
///
/// A sync lists a remote server for up to `QUERYGATE_SYNC_TIMEOUT`, longer than an API answer may take, so
/// `POST …/sync` queues it (202) for a worker of `querygate serve` and the history says how it ended.
struct SyncRoutes: Sendable {
    let api: PortalAPI

    struct NewPatternBody: Decodable {
        let pattern: String
        let kind: String?
        let instance: String?
        let reason: String?
    }

    var routes: [APIRoute] {
        [
            APIRoute(.post, "instances/:name/sync", access: .admins) { _, context in
                let admin = try context.caller.user
                let instance = try await existingInstance(context)
                switch try await api.directory.requestSync(of: instance, trigger: .api, by: PortalAPI.actor(admin), replyTo: nil) {
                case .queued(let queued):
                    return try context.json(["sync": SyncView(queued)], status: .accepted,
                                            headers: [.location: "/api/v1/instances/\(instance)/syncs"])
                case .alreadyRunning(let running):
                    throw APIError(.conflict, "sync_in_progress", "not queued: \(running.sentence)")
                }
            },
            APIRoute(.get, "instances/:name/syncs", access: .admins) { request, context in
                let instance = try await existingInstance(context)
                let query = try QueryParameters(request, allowed: ["limit"])
                let limit = try query.integer("limit") ?? 20
                guard (1...100).contains(limit) else { throw ValidationError(field: "limit", "limit must be from 1 to 100") }
                let history = try await api.directory.syncHistory(instance: instance, limit: limit)
                return try context.json(["syncs": history.map(SyncView.init)])
            },
            APIRoute(.get, "blacklist", access: .admins) { request, context in
                let query = try QueryParameters(request, allowed: ["instance"])
                let instance = try query.string("instance").map { text throws(ValidationError) in try InstanceName(text) }
                let patterns = try await api.directory.listBlacklist(instance: instance)
                return try context.json(["patterns": patterns.map(BlacklistPatternView.init)])
            },
            APIRoute(.post, "blacklist", access: .admins) { request, context in
                let admin = try context.caller.user
                let body = try await context.decode(NewPatternBody.self, from: request)
                let new = try NewBlacklistPattern(
                    pattern: body.pattern, kind: try body.kind.map { text throws(ValidationError) in try BlacklistKind(parsing: text) } ?? .exact,
                    instance: try body.instance.map { text throws(ValidationError) in try InstanceName(text) }, reason: body.reason)
                let added = try await api.directory.addBlacklistPattern(new, by: PortalAPI.actor(admin))
                return try context.json(BlacklistPatternView(added), status: .created)
            },
            APIRoute(.delete, "blacklist/:id", access: .admins) { _, context in
                let admin = try context.caller.user
                guard let id = context.parameters.get("id").flatMap(RequestNumber.parse),
                      try await api.directory.removeBlacklistPattern(id: id, by: PortalAPI.actor(admin))
                else { throw APIError.notFound }
                return Response(status: .noContent)
            },
        ]
    }

    /// The instance the path names; 404 when there is none.
    private func existingInstance(_ context: PortalRequestContext) async throws -> InstanceName {
        guard let text = context.parameters.get("name"), let name = try? InstanceName(text),
              try await !api.directory.listInstances(named: name.rawValue).isEmpty
        else { throw APIError.notFound }
        return name
    }
}
