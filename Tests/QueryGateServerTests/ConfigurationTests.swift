import Foundation
import Logging
import PostgresNIO
import QueryGateServer
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let workingDirectory = URL(fileURLWithPath: "/nonexistent-querygate-cwd", isDirectory: true)

    static func load(_ environment: [String: String], in directory: URL = workingDirectory) throws(ConfigurationError) -> QueryGateConfiguration {
        try QueryGateConfiguration.load(environment: environment, workingDirectory: directory)
    }

    @Test func nothingConfiguredMeansTheEmbeddedDatabaseAndTheSeedsDefaults() throws {
        let configuration = try Self.load([:])
        #expect(configuration.portalDatabase == nil)
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.httpPort == 8080)
        #expect(configuration.jwt.accessTokenLifetime == .seconds(1800))
        #expect(configuration.jwt.refreshTokenLifetimeDays == 7)
        #expect(configuration.slack.apiURL.absoluteString == "https://slack.com/api")
        #expect(configuration.dataDirectory.path == "/nonexistent-querygate-cwd/.querygate")
        #expect(configuration.autoMigrate)
        #expect(configuration.jwt.bcryptCost == 12)
        #expect(configuration.corsOrigins.isEmpty)
    }

    @Test func corsOriginsAreAListOfExactOrigins() throws {
        let configuration = try Self.load(["QUERYGATE_CORS_ORIGINS": "https://Portal.example.com, http://localhost:5173,"])
        #expect(configuration.corsOrigins == ["https://portal.example.com", "http://localhost:5173"])
    }

    @Test func theSeedsVariablesDescribeAnExternalPortalDatabase() throws {
        let configuration = try Self.load([
            "PORTAL_DB_HOST": "db.internal", "PORTAL_DB_PORT": "6432", "PORTAL_DB_NAME": "portal", "PORTAL_DB_USER": "gate",
            "PORTAL_DB_PASSWORD": "pw", "JWT_ACCESS_EXPIRES": "15m", "JWT_REFRESH_EXPIRES_DAYS": "30",
            "JWT_SECRET": String(repeating: "k", count: 32), "SLACK_API_URL": "http://127.0.0.1:9999/api",
        ])
        let database = try #require(configuration.portalDatabase)
        #expect(database.host == "db.internal")
        #expect(database.port == 6432)
        #expect(database.database == "portal")
        #expect(database.user == "gate")
        #expect(database.password?.reveal() == "pw")
        #expect(database.tls == .prefer)
        #expect(configuration.jwt.accessTokenLifetime == .seconds(900))
        #expect(configuration.jwt.refreshTokenLifetimeDays == 30)
        #expect(configuration.slack.apiURL.absoluteString == "http://127.0.0.1:9999/api")
    }

    @Test func onlyTheHostIsNeededTheRestHasTheSeedsDefaults() throws {
        let database = try #require(try Self.load(["PORTAL_DB_HOST": "db"]).portalDatabase)
        #expect((database.port, database.database, database.user) == (5432, "portal_db", "postgres"))
        #expect(database.password == nil)
    }

    @Test("Bad values stop start-up naming the variable, never echoing the value", arguments: [
        (["QUERYGATE_PORT": "70000"], "QUERYGATE_PORT"),
        (["QUERYGATE_PORT": "http"], "QUERYGATE_PORT"),
        (["PORTAL_DB_HOST": "db", "PORTAL_DB_PORT": "0"], "PORTAL_DB_PORT"),
        (["PORTAL_DB_USER": "gate"], "PORTAL_DB_HOST"),
        (["PORTAL_DB_HOST": "db", "PORTAL_DB_SSLMODE": "verify-full-ish"], "PORTAL_DB_SSLMODE"),
        (["JWT_SECRET": "tooshort-secret"], "JWT_SECRET"),
        (["JWT_REFRESH_SECRET": "tooshort-secret"], "JWT_REFRESH_SECRET"),
        (["JWT_ACCESS_EXPIRES": "30 minutes"], "JWT_ACCESS_EXPIRES"),
        (["JWT_ACCESS_EXPIRES": "-5m"], "JWT_ACCESS_EXPIRES"),
        (["JWT_REFRESH_EXPIRES_DAYS": "0"], "JWT_REFRESH_EXPIRES_DAYS"),
        (["SLACK_BOT_TOKEN": "xoxp-a-user-token"], "SLACK_BOT_TOKEN"),
        (["SLACK_API_URL": "ftp://slack.example"], "SLACK_API_URL"),
        (["QUERYGATE_LOG_LEVEL": "loud"], "QUERYGATE_LOG_LEVEL"),
        (["QUERYGATE_AUTO_MIGRATE": "maybe"], "QUERYGATE_AUTO_MIGRATE"),
        (["QUERYGATE_BCRYPT_COST": "3"], "QUERYGATE_BCRYPT_COST"),
        (["QUERYGATE_CORS_ORIGINS": "*"], "QUERYGATE_CORS_ORIGINS"),
        (["QUERYGATE_CORS_ORIGINS": "https://portal.example.com/app"], "QUERYGATE_CORS_ORIGINS"),
        (["QUERYGATE_CORS_ORIGINS": "portal.example.com"], "QUERYGATE_CORS_ORIGINS"),
        (["QUERYGATE_SYNC_INTERVAL": "5s"], "QUERYGATE_SYNC_INTERVAL"),
        (["QUERYGATE_SYNC_INTERVAL": "hourly"], "QUERYGATE_SYNC_INTERVAL"),
        (["QUERYGATE_SYNC_TIMEOUT": "0"], "QUERYGATE_SYNC_TIMEOUT"),
        (["QUERYGATE_PORTAL_CONNECTIONS": "many"], "QUERYGATE_PORTAL_CONNECTIONS"),
        (["QUERYGATE_PORTAL_CONNECTIONS": "3"], "QUERYGATE_PORTAL_CONNECTIONS"),
        (["QUERYGATE_PORTAL_CONNECTIONS": "8", "QUERYGATE_EXECUTOR_CONCURRENCY": "5"], "QUERYGATE_PORTAL_CONNECTIONS"),
        (["QUERYGATE_PORTAL_CONNECTIONS": "1001", "PORTAL_DB_HOST": "db"], "QUERYGATE_PORTAL_CONNECTIONS"),
        // The embedded server takes PostgreSQL's default 100 connections in all.
        (["QUERYGATE_PORTAL_CONNECTIONS": "81"], "QUERYGATE_PORTAL_CONNECTIONS"),
    ])
    func badValues(environment: [String: String], variable: String) {
        do {
            _ = try Self.load(environment)
            Issue.record("accepted \(environment)")
        } catch {
            #expect(error.variable == variable)
            for value in environment.values where value.count > 4 {
                #expect(!error.description.contains(value), "\(error.description) repeats \(value)")
            }
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func secretsPrintAsRedacted() throws {
        let secret = String(repeating: "s", count: 40)
        let configuration = try Self.load(["JWT_SECRET": secret, "SLACK_SIGNING_SECRET": "abc123", "PORTAL_DB_HOST": "db", "PORTAL_DB_PASSWORD": "pw-123"])
        let printed = "\(configuration)"
        #expect(!printed.contains(secret))
        #expect(!printed.contains("abc123"))
        #expect(!printed.contains("pw-123"))
        #expect(printed.contains("<redacted>"))
    }

    @Test func theSettingsFileIsReadAndTheEnvironmentWins() throws {
        let directory = try SettingsDirectory(contents: """
            # QueryGate settings
            QUERYGATE_PORT=9090
            export QUERYGATE_HOST="0.0.0.0"
            JWT_ACCESS_EXPIRES='1h'

            PORTAL_DB_HOST=db.from.file
            """)
        defer { directory.remove() }
        let fromFile = try Self.load([:], in: directory.url)
        #expect(fromFile.httpPort == 9090)
        #expect(fromFile.httpHost == "0.0.0.0")
        #expect(fromFile.jwt.accessTokenLifetime == .seconds(3600))
        #expect(fromFile.portalDatabase?.host == "db.from.file")

        let overridden = try Self.load(["QUERYGATE_PORT": "7070", "PORTAL_DB_HOST": "db.from.env"], in: directory.url)
        #expect(overridden.httpPort == 7070)
        #expect(overridden.portalDatabase?.host == "db.from.env")
    }

    @Test("The settings file refuses secrets, credentials, unknown keys and malformed lines", arguments: [
        "JWT_SECRET=0123456789012345678901234567890123456789",
        "PORTAL_DB_PASSWORD=pw",
        "PG_INSTANCE_1_PASSWORD=pw",
        "QUERYGATE_PROT=8080",
        "just some words",
    ])
    func settingsFileRefusals(line: String) throws {
        let directory = try SettingsDirectory(contents: "QUERYGATE_PORT=9090\n" + line + "\n")
        defer { directory.remove() }
        do {
            _ = try Self.load([:], in: directory.url)
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.variable.hasSuffix("config/querygate.env"))
            #expect(error.problem.hasPrefix("line 2 "))
            #expect(!error.description.contains("0123456789"))
        }
    }

    @Test func anExplicitSettingsFileMustExist() {
        #expect(throws: ConfigurationError.self) { try Self.load(["QUERYGATE_CONFIG_FILE": "/nonexistent/querygate.env"]) }
    }

    @Test func theShippedExampleFileIsValid() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/querygate.example.env")
        let configuration = try Self.load(["QUERYGATE_CONFIG_FILE": example.path])
        #expect(configuration.httpPort == 8080)
        #expect(configuration.sync.interval == .seconds(3600))
        #expect(configuration.sync.timeout == .seconds(30))
    }

    @Test func syncSchedulingDefaultsToHourlyAndZeroTurnsItOff() throws {
        let defaults = try Self.load([:])
        #expect(defaults.sync.interval == .seconds(3600) && defaults.sync.timeout == .seconds(30))
        let off = try Self.load(["QUERYGATE_SYNC_INTERVAL": "0", "QUERYGATE_SYNC_TIMEOUT": "5s"])
        #expect(off.sync.interval == nil && off.sync.timeout == .seconds(5))
    }

    @Test("The portal pool: 8 connections, more when the executor runs more at once, and the portal client is built with it")
    func portalConnections() async throws {
        #expect(try Self.load([:]).portalConnections == 8)
        #expect(try Self.load(["QUERYGATE_EXECUTOR_CONCURRENCY": "10"]).portalConnections == 14)
        #expect(try Self.load(["QUERYGATE_PORTAL_CONNECTIONS": "30", "QUERYGATE_EXECUTOR_CONCURRENCY": "10"]).portalConnections == 30)
        #expect(try Self.load(["QUERYGATE_PORTAL_CONNECTIONS": "6"]).portalConnections == 6)
        #expect(try Self.load(["QUERYGATE_PORTAL_CONNECTIONS": "80"]).portalConnections == 80)
        #expect(try Self.load(["QUERYGATE_PORTAL_CONNECTIONS": "500", "PORTAL_DB_HOST": "db"]).portalConnections == 500)
        // What the client is built with: `open` of an external database connects to nothing yet.
        let external = try Self.load(["PORTAL_DB_HOST": "db.internal", "QUERYGATE_PORTAL_CONNECTIONS": "12"])
        let database = try await PortalDatabase.open(external, logger: Logger(label: "test"))
        #expect(database.clientConfiguration.options.maximumConnections == 12)
    }

    @Test func requestsExpireAfterADayByDefaultAndTheMetricsTokenIsAStrongSecret() throws {
        let defaults = try Self.load([:])
        #expect(defaults.execution.requestTTL == .seconds(86_400) && defaults.execution.reminderPercent == 50)
        #expect(defaults.metricsToken == nil)
        let set = try Self.load(["QUERYGATE_REQUEST_TTL": "0", "QUERYGATE_REMINDER_PERCENT": "0",
                                 "QUERYGATE_METRICS_TOKEN": String(repeating: "k", count: 32)])
        #expect(set.execution.requestTTL == nil && set.execution.reminderPercent == 0 && set.metricsToken != nil)
        #expect(!"\(set.metricsToken!)".contains("kkkk"), "the token printed")
        #expect(throws: ConfigurationError.self) { try Self.load(["QUERYGATE_REQUEST_TTL": "30s"]) }
        #expect(throws: ConfigurationError.self) { try Self.load(["QUERYGATE_REMINDER_PERCENT": "100"]) }
        #expect(throws: ConfigurationError.self) { try Self.load(["QUERYGATE_METRICS_TOKEN": "short"]) }
    }
}

struct SettingsDirectory {
    let url: URL

    init(contents: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("qg-settings-\(UUID())", isDirectory: true)
        try FileManager.default.createDirectory(at: url.appendingPathComponent("config"), withIntermediateDirectories: true)
        try contents.write(to: url.appendingPathComponent("config/querygate.env"), atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
