import CLibMongoc
import Logging
import Synchronization

/// The process-wide side of libmongoc: initialised once, its own log lines routed into swift-log, and one client
/// pool per connection string (a `mongoc_client_t` is not thread-safe; a pool hands one client to one thread).
enum MongoDriver {
    /// libmongoc's log lines, under their own label so an operator can tell them from QueryGate's.
    nonisolated(unsafe) static var logger = Logger(label: "querygate.mongoc")

    private static let initialised: Void = {
        mongoc_init()
        mongoc_log_set_handler({ level, domain, message, _ in
            let text = message.map { String(cString: $0) } ?? ""
            let metadata: Logger.Metadata = ["domain": "\(domain.map { String(cString: $0) } ?? "")"]
            switch level {
            case MONGOC_LOG_LEVEL_ERROR, MONGOC_LOG_LEVEL_CRITICAL: MongoDriver.logger.error("\(text)", metadata: metadata)
            case MONGOC_LOG_LEVEL_WARNING: MongoDriver.logger.warning("\(text)", metadata: metadata)
            case MONGOC_LOG_LEVEL_MESSAGE, MONGOC_LOG_LEVEL_INFO: MongoDriver.logger.info("\(text)", metadata: metadata)
            case MONGOC_LOG_LEVEL_DEBUG: MongoDriver.logger.debug("\(text)", metadata: metadata)
            default: MongoDriver.logger.trace("\(text)", metadata: metadata)
            }
        }, nil)
    }()

    static func initialise() {
        _ = initialised
    }

    /// The message of a driver error.
    static func message(of error: bson_error_t) -> String {
        withUnsafeBytes(of: error.message) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// One `mongoc_client_pool_t`, for one connection string.
final class MongoClientPool: @unchecked Sendable {
    let pointer: OpaquePointer

    /// - Throws: `ExecutionFailure` naming `variable`, never repeating the connection string (it may hold a password).
    init(uri text: String, variable: String) throws(MongoPoolError) {
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(text, &error) else {
            throw MongoPoolError(message: "\(variable) is not a MongoDB connection string (\(MongoDriver.message(of: error)))")
        }
        defer { mongoc_uri_destroy(uri) }
        mongoc_uri_set_option_as_utf8(uri, MONGOC_URI_APPNAME, "querygate")
        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            throw MongoPoolError(message: "\(variable) cannot be used: \(MongoDriver.message(of: error))")
        }
        // Server errors then come back in their own domain, with the server's code (error API version 2).
        mongoc_client_pool_set_error_api(pool, 2)
        pointer = pool
    }

    deinit {
        mongoc_client_pool_destroy(pointer)
    }

    func withClient<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        let client = mongoc_client_pool_pop(pointer)!
        defer { mongoc_client_pool_push(pointer, client) }
        return try body(client)
    }
}

struct MongoPoolError: Error {
    let message: String
}

/// The pools, one per connection string, created on first use and kept for the life of the engine.
final class MongoClientPools: Sendable {
    private let pools = Mutex<[String: MongoClientPool]>([:])

    func pool(uri: String, variable: String) throws(MongoPoolError) -> MongoClientPool {
        try pools.withLock { (pools) throws(MongoPoolError) -> MongoClientPool in
            if let pool = pools[uri] { return pool }
            let pool = try MongoClientPool(uri: uri, variable: variable)
            pools[uri] = pool
            return pool
        }
    }

    func removeAll() {
        pools.withLock { $0.removeAll() }
    }
}
