import Foundation

/// The optional settings file: `KEY=value` lines as in an environment file, `#` comments, optional quotes.
///
/// It holds non-secret settings only; the environment overrides it. A secret in it, or a key QueryGate does
/// not know (often a typo, which would otherwise be ignored in silence), stops start-up.
enum SettingsFile {
    static func parse(_ text: String, path: String) throws(ConfigurationError) -> [String: String] {
        var settings: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError(path, "line \(number + 1) is not KEY=value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            guard Settings.known.contains(key) || Settings.isInstanceVariable(key) else {
                throw ConfigurationError(path, "line \(number + 1) sets \(key), which is not a QueryGate setting")
            }
            guard !Settings.secrets.contains(key) && !Settings.isInstanceVariable(key) else {
                throw ConfigurationError(path, "line \(number + 1) sets \(key): secrets and credentials belong in the environment, not in a file")
            }
            settings[key] = value
        }
        return settings
    }
}

/// The names of every setting, in one place.
enum Settings {
    static let portalHost = "PORTAL_DB_HOST"
    static let portalPort = "PORTAL_DB_PORT"
    static let portalName = "PORTAL_DB_NAME"
    static let portalUser = "PORTAL_DB_USER"
    static let portalPassword = "PORTAL_DB_PASSWORD"
    static let portalSSLMode = "PORTAL_DB_SSLMODE"
    static let portalConnections = "QUERYGATE_PORTAL_CONNECTIONS"
    static let jwtSecret = "JWT_SECRET"
    static let jwtRefreshSecret = "JWT_REFRESH_SECRET"
    static let jwtAccessExpires = "JWT_ACCESS_EXPIRES"
    static let jwtRefreshExpiresDays = "JWT_REFRESH_EXPIRES_DAYS"
    static let slackSigningSecret = "SLACK_SIGNING_SECRET"
    static let slackBotToken = "SLACK_BOT_TOKEN"
    static let slackAPIURL = "SLACK_API_URL"
    static let host = "QUERYGATE_HOST"
    static let port = "QUERYGATE_PORT"
    static let logLevel = "QUERYGATE_LOG_LEVEL"
    static let dataDirectory = "QUERYGATE_DATA_DIR"
    static let autoMigrate = "QUERYGATE_AUTO_MIGRATE"
    static let migrationsDirectory = "QUERYGATE_MIGRATIONS_DIR"
    static let configFile = "QUERYGATE_CONFIG_FILE"
    static let statementTimeout = "QUERYGATE_STATEMENT_TIMEOUT"
    static let maxRows = "QUERYGATE_MAX_ROWS"
    static let maxResultBytes = "QUERYGATE_MAX_RESULT_BYTES"
    static let executorConcurrency = "QUERYGATE_EXECUTOR_CONCURRENCY"
    static let executorLease = "QUERYGATE_EXECUTOR_LEASE"
    static let bcryptCost = "QUERYGATE_BCRYPT_COST"
    static let syncInterval = "QUERYGATE_SYNC_INTERVAL"
    static let syncTimeout = "QUERYGATE_SYNC_TIMEOUT"
    static let requestTTL = "QUERYGATE_REQUEST_TTL"
    static let reminderPercent = "QUERYGATE_REMINDER_PERCENT"
    static let metricsToken = "QUERYGATE_METRICS_TOKEN"
    static let corsOrigins = "QUERYGATE_CORS_ORIGINS"

    static let secrets: Set<String> = [portalPassword, jwtSecret, jwtRefreshSecret, slackSigningSecret, slackBotToken, metricsToken]
    static let known: Set<String> = [
        portalHost, portalPort, portalName, portalUser, portalPassword, portalSSLMode, portalConnections, jwtSecret, jwtRefreshSecret,
        jwtAccessExpires, jwtRefreshExpiresDays, slackSigningSecret, slackBotToken, slackAPIURL, host, port, logLevel,
        dataDirectory, autoMigrate, migrationsDirectory, statementTimeout, maxRows, maxResultBytes, executorConcurrency, executorLease, bcryptCost,
        corsOrigins, syncInterval, syncTimeout, requestTTL, reminderPercent, metricsToken,
    ]

    /// Target credentials (`PG_INSTANCE_1_PASSWORD`, `MONGO_INSTANCE_1_URI`...) are named by the instances in the
    /// database, so their names are not known in advance; these shapes are the seed's.
    static func isInstanceVariable(_ key: String) -> Bool {
        key.hasPrefix("PG_INSTANCE_") || key.hasPrefix("MONGO_INSTANCE_")
    }
}
