import CLibMongoc
import Logging
import NIOPosix
import QueryGateCore

/// Lists the databases of a MongoDB instance for the hybrid sync: a client of its own (never one of the engine's
/// pools), one `listDatabases` on `admin`, closed again.
///
/// - `nameOnly: true` spares the server from opening every database to size it.
/// - `authorizedDatabases: true` lets a user without the cluster-wide `listDatabases` privilege see the databases
///   it may use, instead of an Unauthorized error.
/// - The driver's server selection, connect and socket timeouts and the command's `maxTimeMS` are all the sync's
///   timeout, so the blocking call ends by itself soon after the deadline has answered for it.
public struct MongoDatabaseLister: Sendable {
    let threadPool: NIOThreadPool

    public init(threadPool: NIOThreadPool, logger: Logger) {
        MongoDriver.initialise(logger: logger)
        self.threadPool = threadPool
    }

    /// The names, within `timeout` for connecting and listing together.
    /// - Throws: `ExecutionFailure` naming the variable at fault or the server's answer, never the connection string.
    public func databases(variable: String, environment: [String: String], timeout: Duration) async throws(ExecutionFailure) -> DatabaseListing {
        guard let uri = environment[variable], !uri.isEmpty else {
            throw ExecutionFailure(message: "\(variable) is not set where QueryGate runs, so the instance cannot be listed")
        }
        let threadPool = self.threadPool
        let milliseconds = Int32(clamping: max(1, Int(timeout / .milliseconds(1))))
        return try await withListingDeadline(timeout, what: "listing the databases of the server in \(variable)") {
            try await threadPool.runIfActive { () throws(ExecutionFailure) -> DatabaseListing in
                DatabaseListing(names: try Self.list(uri: uri, variable: variable, timeoutMilliseconds: milliseconds))
            }
        }
    }

    /// On a pool thread.
    static func list(uri text: String, variable: String, timeoutMilliseconds: Int32) throws(ExecutionFailure) -> [String] {
        var error = bson_error_t()
        // The driver's words about a bad connection string quote it, password included: not repeated.
        guard let uri = mongoc_uri_new_with_error(text, &error) else {
            throw ExecutionFailure(message: "\(variable) is not a valid MongoDB connection string (mongodb://user:password@host:port/?options, with special characters percent-encoded)")
        }
        defer { mongoc_uri_destroy(uri) }
        for option in [MONGOC_URI_SERVERSELECTIONTIMEOUTMS, MONGOC_URI_CONNECTTIMEOUTMS, MONGOC_URI_SOCKETTIMEOUTMS] {
            mongoc_uri_set_option_as_int32(uri, option, timeoutMilliseconds)
        }
        mongoc_uri_set_option_as_utf8(uri, MONGOC_URI_APPNAME, "querygate-sync")
        guard let client = mongoc_client_new_from_uri_with_error(uri, &error) else {
            throw ExecutionFailure(message: "\(variable) names options the MongoDB driver cannot use (TLS files, mechanisms…): check it where QueryGate runs")
        }
        defer { mongoc_client_destroy(client) }
        mongoc_client_set_error_api(client, 2)
        let command = BSONDocument([
            "listDatabases": .int32(1), "nameOnly": .bool(true), "authorizedDatabases": .bool(true),
            "maxTimeMS": .int64(Int64(timeoutMilliseconds)),
        ])
        let reply = BSONDocument()
        let ok = withExtendedLifetime((command, reply)) {
            mongoc_client_command_simple(client, "admin", command.pointer, nil, reply.pointer, &error)
        }
        guard ok else {
            throw ExecutionFailure(message: "listing the databases of the server in \(variable) failed: \(MongoDriver.message(of: error))")
        }
        guard case .array(let databases)? = reply.document["databases"] else {
            throw ExecutionFailure(message: "the server in \(variable) answered listDatabases without a list of databases")
        }
        return databases.compactMap { entry -> String? in
            guard case .document(let database) = entry, case .string(let name)? = database["name"] else { return nil }
            return name
        }.sorted()
    }
}
