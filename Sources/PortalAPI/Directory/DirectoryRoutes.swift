import Foundation
import Hummingbird
import PortalStore
import QueryGateCore

/// The current user, the targets a request can name, and (for admins) the audit log.
struct DirectoryRoutes: Sendable {
    let api: PortalAPI

    var routes: [APIRoute] {
        [
            APIRoute(.get, "me") { _, context in try context.json(UserView(try context.caller.user)) },
            APIRoute(.get, "instances") { request, context in
                _ = try QueryParameters(request, allowed: [])
                let instances = try await api.directory.listInstances(named: nil)
                return try context.json(["instances": instances.map(InstanceView.init)])
            },
            // The list the Slack request form's picker shows: active databases on active instances.
            APIRoute(.get, "databases") { request, context in
                let query = try QueryParameters(request, allowed: ["search"])
                let databases = try await api.directory.searchTargets(query.string("search") ?? "", limit: 100)
                return try context.json(["databases": databases.map(DatabaseView.init)])
            },
            APIRoute(.get, "audit", access: .admins) { request, context in
                let query = try QueryParameters(request, allowed: ["limit", "cursor"])
                let page = try PageRequest(size: try query.integer("limit") ?? PageRequest.defaultSize, after: try query.integer("cursor"))
                let found = try await api.directory.recentAuditEntries(limit: page.size + 1, before: page.after)
                let entries = found.prefix(page.size)
                return try context.json(AuditList(
                    entries: entries.map(AuditEntryView.init),
                    next_cursor: found.count > page.size ? entries.last.map { String($0.id) } : nil))
            },
        ]
    }
}
