import CLibMongoc
import Logging
import QueryGateCore
import Synchronization

/// The process-wide side of libmongoc: initialised once, its own log lines routed into swift-log, and one client
/// pool per connection string (a `mongoc_client_t` is not thread-safe; a pool hands one client to one thread).
enum MongoDriver {
    /// Where libmongoc's log lines go: the logger of the engine created last (the process has one), marked
    /// `component=mongoc` so an operator can tell them from QueryGate's own.
    private static let logger = Mutex(Logger(label: "querygate.mongoc"))

    private static let initialised: Void = {
        mongoc_init()
        mongoc_log_set_handler({ level, domain, message, _ in
            forward(level: level, domain: domain.map { String(cString: $0) } ?? "", message: message.map { String(cString: $0) } ?? "",
                    to: MongoDriver.logger.withLock { $0 })
        }, nil)
    }()

    /// One libmongoc log line, at the matching swift-log level.
    static func forward(level: mongoc_log_level_t, domain: String, message: String, to logger: Logger) {
        let metadata: Logger.Metadata = ["component": "mongoc", "domain": "\(domain)"]
        switch level {
        case MONGOC_LOG_LEVEL_ERROR, MONGOC_LOG_LEVEL_CRITICAL: logger.error("\(message)", metadata: metadata)
        case MONGOC_LOG_LEVEL_WARNING: logger.warning("\(message)", metadata: metadata)
        case MONGOC_LOG_LEVEL_MESSAGE, MONGOC_LOG_LEVEL_INFO: logger.info("\(message)", metadata: metadata)
        case MONGOC_LOG_LEVEL_DEBUG: logger.debug("\(message)", metadata: metadata)
        default: logger.trace("\(message)", metadata: metadata)
        }
    }

    /// Initialises libmongoc once, and sends its log lines to `logger` from now on.
    static func initialise(logger: Logger) {
        _ = initialised
        self.logger.withLock { $0 = logger }
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

    /// - Throws: `ExecutionFailure` naming `variable`. Neither the connection string nor the driver's words about it
    ///   are repeated: libmongoc quotes the offending part, which may be the password.
    init(uri text: String, variable: String) throws(ExecutionFailure) {
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(text, &error) else {
            throw ExecutionFailure(message: "\(variable) is not a valid MongoDB connection string (mongodb://user:password@host:port/?options, with special characters percent-encoded)")
        }
        defer { mongoc_uri_destroy(uri) }
        mongoc_uri_set_option_as_utf8(uri, MONGOC_URI_APPNAME, "querygate")
        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            throw ExecutionFailure(message: "\(variable) names options the MongoDB driver cannot use (TLS files, mechanisms…): check it where QueryGate runs")
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

/// The pools, one per connection string, created on first use and kept for the life of the engine.
final class MongoClientPools: Sendable {
    private let pools = Mutex<[String: MongoClientPool]>([:])

    func pool(uri: String, variable: String) throws(ExecutionFailure) -> MongoClientPool {
        try pools.withLock { (pools) throws(ExecutionFailure) -> MongoClientPool in
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
