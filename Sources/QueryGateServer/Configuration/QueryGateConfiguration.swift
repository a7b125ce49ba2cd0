import Foundation
import Logging
import QueryGateCore

/// Everything QueryGate reads at start-up, checked once, so that a bad value stops it before it serves.
///
/// Sources, strongest first: the process environment, then the optional settings file (`QUERYGATE_CONFIG_FILE`,
/// by default `config/querygate.env` when it exists), then the defaults below. Names are the seed's.
public struct QueryGateConfiguration: Sendable {
    /// Where the portal database is. `nil` means none is configured: QueryGate runs its own (`EmbeddedPostgres`).
    public var portalDatabase: PortalDatabaseSettings?
    /// The most connections this process opens to the portal database (either kind). PostgreSQL does its best
    /// work with a few busy connections per core: 16 concurrent submissions on a 2-core host ran 7-12% faster,
    /// with a p99 of 15-21 ms instead of 35-62 ms, over 8 connections than over postgres-nio's default of 20.
    /// Three of them are held for good by the LISTENs of the outbox, the executor and the sync.
    public var portalConnections: Int
    public var httpHost: String
    public var httpPort: Int
    public var logLevel: Logger.Level
    /// Where the embedded PostgreSQL keeps its files, and anything else QueryGate keeps locally.
    public var dataDirectory: URL
    /// Whether `serve` applies pending migrations before it answers (under the migration lock).
    public var autoMigrate: Bool
    public var migrationsDirectory: URL?
    public var jwt: JWTSettings
    /// Web origins (`https://portal.example.com`) whose pages may call the portal API from a browser (CORS).
    public var corsOrigins: [String]
    /// The bearer token a Prometheus scraper sends for `GET /metrics`; `nil`: no such route.
    public var metricsToken: Secret?
    public var slack: SlackSettings
    public var execution: ExecutionSettings
    public var sync: SyncSettings
    /// The whole process environment, where target credentials are looked up by the names the instances give
    /// (`PG_INSTANCE_1_PASSWORD`…). Printed, it shows nothing.
    public var targetEnvironment: CredentialEnvironment

    public struct ExecutionSettings: Sendable {
        public var limits: ExecutionLimits
        /// Requests this process runs at once; 0 leaves execution to other replicas.
        public var concurrency: Int
        /// How long a running request's claim holds without renewal: a replica that dies mid-request has its
        /// request declared interrupted within this plus 2 s.
        public var lease: Duration
        /// How long a request waits for a decision (and an approved one for its run) before it expires, where its
        /// pod sets nothing else; `nil` (`QUERYGATE_REQUEST_TTL=0`): never.
        public var requestTTL: Duration?
        /// How far through a request's time to live its approvers are reminded, in percent; 0: never.
        public var reminderPercent: Int
    }

    /// The hybrid database sync.
    public struct SyncSettings: Sendable {
        /// How often `serve` syncs each instance; `nil` (`QUERYGATE_SYNC_INTERVAL=0`) turns scheduling off.
        public var interval: Duration?
        /// How long connecting to an instance and listing its databases may take together.
        public var timeout: Duration
    }

    public struct JWTSettings: Sendable {
        /// Signs access tokens. Optional until the portal API is enabled; at least 32 bytes when set.
        public var secret: Secret?
        public var refreshSecret: Secret?
        public var accessTokenLifetime: Duration
        public var refreshTokenLifetimeDays: Int
        /// bcrypt's cost (log2 of its rounds) for new password hashes.
        public var bcryptCost: UInt8
    }

    public struct SlackSettings: Sendable {
        public var signingSecret: Secret?
        public var botToken: Secret?
        /// The Web API's base URL; tests point it at a local server.
        public var apiURL: URL
    }

    /// Reads and checks the configuration.
    ///
    /// - Parameters:
    ///   - environment: The process environment (tests pass their own).
    ///   - workingDirectory: What relative paths are relative to.
    /// - Throws: `ConfigurationError` naming the first bad variable.
    public static func load(environment: [String: String], workingDirectory: URL) throws(ConfigurationError) -> QueryGateConfiguration {
        let settings = try merged(environment: environment, workingDirectory: workingDirectory)
        var reader = SettingsReader(values: settings)
        let execution = ExecutionSettings(
            limits: ExecutionLimits(
                statementTimeout: try reader.duration(Settings.statementTimeout) ?? .seconds(60),
                maxRows: try reader.integer(Settings.maxRows, in: 1...10_000_000, meaning: "a number of rows") ?? 100_000,
                maxResultBytes: try reader.integer(Settings.maxResultBytes, in: 1024...(4 << 30), meaning: "a number of bytes") ?? 64 << 20
            ),
            concurrency: try reader.integer(Settings.executorConcurrency, in: 0...64, meaning: "a number of requests") ?? 2,
            lease: try reader.duration(Settings.executorLease, in: .seconds(3)...(.seconds(600))) ?? .seconds(10),
            requestTTL: reader.string(Settings.requestTTL) == "0"
                ? nil : try reader.duration(Settings.requestTTL, in: RequestDeadlines.allowedTimeToLive) ?? .seconds(86_400),
            reminderPercent: try reader.integer(Settings.reminderPercent, in: 0...99, meaning: "a percentage of the request's time to live") ?? 50
        )

        let portalDatabase = try PortalDatabaseSettings.read(from: &reader)

        let configuration = QueryGateConfiguration(
            portalDatabase: portalDatabase,
            portalConnections: try reader.portalConnections(executorConcurrency: execution.concurrency, embedded: portalDatabase == nil),
            httpHost: reader.string(Settings.host) ?? "127.0.0.1",
            httpPort: try reader.integer(Settings.port, in: 0...65_535, meaning: "a port number") ?? 8080,
            logLevel: try reader.logLevel(Settings.logLevel) ?? .info,
            dataDirectory: URL(fileURLWithPath: reader.string(Settings.dataDirectory) ?? ".querygate", relativeTo: workingDirectory)
                .standardizedFileURL,
            autoMigrate: try reader.boolean(Settings.autoMigrate) ?? true,
            migrationsDirectory: reader.string(Settings.migrationsDirectory).map {
                URL(fileURLWithPath: $0, isDirectory: true, relativeTo: workingDirectory).standardizedFileURL
            },
            jwt: JWTSettings(
                secret: try reader.signingKey(Settings.jwtSecret),
                refreshSecret: try reader.signingKey(Settings.jwtRefreshSecret),
                accessTokenLifetime: try reader.duration(Settings.jwtAccessExpires) ?? .seconds(30 * 60),
                refreshTokenLifetimeDays: try reader.integer(Settings.jwtRefreshExpiresDays, in: 1...365, meaning: "a number of days") ?? 7,
                bcryptCost: UInt8(try reader.integer(Settings.bcryptCost, in: 4...16, meaning: "a bcrypt cost") ?? 12)
            ),
            corsOrigins: try reader.origins(Settings.corsOrigins),
            metricsToken: try reader.signingKey(Settings.metricsToken),
            slack: SlackSettings(
                signingSecret: try reader.secret(Settings.slackSigningSecret),
                botToken: try reader.slackBotToken(Settings.slackBotToken),
                apiURL: try reader.httpURL(Settings.slackAPIURL) ?? URL(string: "https://slack.com/api")!
            ),
            execution: execution,
            sync: SyncSettings(
                interval: reader.string(Settings.syncInterval) == "0"
                    ? nil : try reader.duration(Settings.syncInterval, in: .seconds(10)...(.seconds(7 * 86_400))) ?? .seconds(3600),
                timeout: try reader.duration(Settings.syncTimeout, in: .seconds(1)...(.seconds(600))) ?? .seconds(30)
            ),
            targetEnvironment: CredentialEnvironment(environment)
        )
        return configuration
    }

    /// The settings file under the environment. Only QueryGate's own names and the instance credentials are
    /// kept from the environment, so that the rest of it never travels further.
    static func merged(environment: [String: String], workingDirectory: URL) throws(ConfigurationError) -> [String: String] {
        var settings: [String: String] = [:]
        let explicitFile = environment[Settings.configFile].flatMap { $0.isEmpty ? nil : $0 }
        let path = URL(fileURLWithPath: explicitFile ?? "config/querygate.env", relativeTo: workingDirectory).path
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(Settings.configFile, "names \(path), which cannot be read")
            }
            settings = try SettingsFile.parse(String(decoding: data, as: UTF8.self), path: path)
        } else if explicitFile != nil {
            throw ConfigurationError(Settings.configFile, "names \(path), which does not exist")
        }
        for (key, value) in environment where Settings.known.contains(key) {
            settings[key] = value
        }
        return settings
    }
}

/// The environment that target credentials come from; its description never shows a value.
public struct CredentialEnvironment: Sendable, CustomStringConvertible {
    public let values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    public var description: String { "<\(values.count) variables, redacted>" }
}

/// Where and how to reach an external portal database.
public struct PortalDatabaseSettings: Sendable {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var database: String
    public var user: String
    public var password: Secret?
    public var tls: TLSMode

    /// `nil` when no `PORTAL_DB_*` variable is set. Setting some but not `PORTAL_DB_HOST` is a mistake, not
    /// a request for the embedded database: it would silently write to the wrong place.
    static func read(from reader: inout SettingsReader) throws(ConfigurationError) -> PortalDatabaseSettings? {
        let others = [Settings.portalPort, Settings.portalName, Settings.portalUser, Settings.portalPassword, Settings.portalSSLMode]
        guard let host = reader.string(Settings.portalHost) else {
            if let stray = others.first(where: { reader.string($0) != nil }) {
                throw ConfigurationError(
                    Settings.portalHost,
                    "is not set, but \(stray) is: set PORTAL_DB_HOST to use that server, or unset every PORTAL_DB_* variable to use the embedded database"
                )
            }
            return nil
        }
        let tls: TLSMode
        if let text = reader.string(Settings.portalSSLMode) {
            guard let mode = TLSMode(rawValue: text.lowercased()) else {
                throw ConfigurationError(Settings.portalSSLMode, "must be disable, prefer or require")
            }
            tls = mode
        } else {
            tls = .prefer
        }
        return PortalDatabaseSettings(
            host: host,
            port: try reader.integer(Settings.portalPort, in: 1...65_535, meaning: "a port number") ?? 5432,
            database: reader.string(Settings.portalName) ?? "portal_db",
            user: reader.string(Settings.portalUser) ?? "postgres",
            password: reader.string(Settings.portalPassword).map(Secret.init),
            tls: tls
        )
    }
}

/// Typed reads of the merged settings, each failing with a `ConfigurationError` that names the variable.
/// An empty value counts as unset, as shells make it easy to export one by accident.
struct SettingsReader {
    let values: [String: String]

    func string(_ key: String) -> String? {
        guard let value = values[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func integer(_ key: String, in range: ClosedRange<Int>, meaning: String) throws(ConfigurationError) -> Int? {
        guard let text = string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(key, "must be \(meaning) from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// `QUERYGATE_PORTAL_CONNECTIONS`: 8 by default, and never fewer than the three LISTENs, the requests the
    /// executor runs at once and one more for everything else. The embedded server keeps PostgreSQL's default
    /// `max_connections` (100, three of them reserved), which `serve` shares with the admin commands.
    func portalConnections(executorConcurrency: Int, embedded: Bool) throws(ConfigurationError) -> Int {
        let least = executorConcurrency + 4
        let most = embedded ? Self.embeddedPortalConnections : 1_000
        // QUERYGATE_EXECUTOR_CONCURRENCY is at most 64, so `least` (68 at most) always fits under `most`.
        guard let connections = try integer(Settings.portalConnections, in: 4...most, meaning: "a number of connections") else {
            return max(8, least)
        }
        guard connections >= least else {
            throw ConfigurationError(
                Settings.portalConnections,
                "must be at least \(least) with QUERYGATE_EXECUTOR_CONCURRENCY=\(executorConcurrency): three are held by LISTENs, one per request the executor runs at once, and one for everything else")
        }
        return connections
    }

    /// What one process may open to the embedded database, leaving room for the admin commands beside it.
    static let embeddedPortalConnections = 80

    func boolean(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let text = string(key) else { return nil }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(key, "must be true or false")
        }
    }

    func logLevel(_ key: String) throws(ConfigurationError) -> Logger.Level? {
        guard let text = string(key) else { return nil }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigurationError(key, "must be one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }

    /// A lifetime such as `30m`, `900s`, `12h` or `1d` (the seed writes `30m`).
    func duration(_ key: String) throws(ConfigurationError) -> Duration? {
        guard let text = string(key) else { return nil }
        guard let duration = DurationText.parse(text) else {
            throw ConfigurationError(key, "must be a positive duration such as 900s, 30m, 12h or 1d")
        }
        return duration
    }

    /// A duration that must also lie in `range`.
    func duration(_ key: String, in range: ClosedRange<Duration>) throws(ConfigurationError) -> Duration? {
        guard let value = try duration(key) else { return nil }
        guard range.contains(value) else {
            throw ConfigurationError(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    func secret(_ key: String) throws(ConfigurationError) -> Secret? {
        string(key).map(Secret.init)
    }

    /// An HMAC key for HS256. Shorter than 32 bytes is refused (jwt-kit would assert on it, and it is weak).
    func signingKey(_ key: String) throws(ConfigurationError) -> Secret? {
        guard let secret = try secret(key) else { return nil }
        guard secret.byteCount >= 32 else {
            throw ConfigurationError(key, "must be at least 32 bytes long (it is \(secret.byteCount)); generate one with `openssl rand -base64 48`")
        }
        return secret
    }

    func slackBotToken(_ key: String) throws(ConfigurationError) -> Secret? {
        guard let token = try secret(key) else { return nil }
        guard token.reveal().hasPrefix("xoxb-") else {
            throw ConfigurationError(key, "must be a bot token (it starts with xoxb-; find it under OAuth & Permissions in the Slack app)")
        }
        return token
    }

    func httpURL(_ key: String) throws(ConfigurationError) -> URL? {
        guard let text = string(key) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw ConfigurationError(key, "must be an http or https URL")
        }
        return url
    }

    /// A comma-separated list of exact origins: scheme, host and port only, never `*`.
    func origins(_ key: String) throws(ConfigurationError) -> [String] {
        guard let text = string(key) else { return [] }
        var origins: [String] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let url = URL(string: item), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil,
                  url.path.isEmpty, url.query == nil, url.fragment == nil, url.user == nil
            else {
                throw ConfigurationError(key, "must list origins such as https://querygate.example.org (scheme, host and port; no path, no *)")
            }
            origins.append(item.lowercased())
        }
        return origins
    }
}
