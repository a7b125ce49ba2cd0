import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PortalStore
import PostgresNIO
import QueryGateServer
import SlackStandIn

/// `querygate demo`: QueryGate with nothing to set up. Its own embedded portal PostgreSQL (under `.querygate-demo/`,
/// never the one `serve` uses), a sample target database in it, a pod, three people, and a local stand-in for
/// Slack with a browser console at `http://127.0.0.1:<port>/console`, all on loopback.
///
/// Everything else is `serve`'s: the same routes, the same executor and outbox worker, talking to the stand-in
/// over HTTP exactly as they talk to Slack.
struct DemoCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Try QueryGate with no Slack workspace: a sample setup and a local Slack console on 127.0.0.1.",
        discussion: """
            Keeps its data in its own embedded PostgreSQL under --data-dir (PORTAL_DB_* are ignored) and serves on \
            127.0.0.1 only. A second start reuses what the first made. Stop it with Ctrl-C.
            """
    )

    @Option(help: "The loopback port to serve the demo and its console on.")
    var port: Int = 8080

    @Option(help: "Where the demo keeps its embedded PostgreSQL.")
    var dataDir: String = ".querygate-demo"

    func run(in context: CommandContext) async throws {
        guard (1...65_535).contains(port) else { throw ArgumentParser.ValidationError("--port must be a port number from 1 to 65535") }
        let baseURL = "http://127.0.0.1:\(port)"
        let dataDirectory = URL(fileURLWithPath: dataDir, isDirectory: true, relativeTo: context.workingDirectory).standardizedFileURL
        let embedded = try EmbeddedPostgres(baseDirectory: dataDirectory, logger: Logger(label: "querygate-demo"))
        let socketDirectory = embedded.socketDirectory.path
        // Fresh secrets each start: both ends of every signed request live in this process, so none is stored.
        let signingSecret = Self.randomHex(32)
        let botToken = "xoxb-demo-" + Self.randomHex(24)

        var environment = context.environment.filter { !$0.key.hasPrefix("PORTAL_DB_") }
        environment.merge([
            "QUERYGATE_HOST": "127.0.0.1", "QUERYGATE_PORT": String(port), "QUERYGATE_DATA_DIR": dataDirectory.path,
            "SLACK_SIGNING_SECRET": signingSecret, "SLACK_BOT_TOKEN": botToken, "SLACK_API_URL": "\(baseURL)/standin/api",
            "\(DemoOrganisation.credentialsPrefix)_HOST": socketDirectory, "\(DemoOrganisation.credentialsPrefix)_PORT": "5432",
            "\(DemoOrganisation.credentialsPrefix)_USER": embedded.clientConfiguration.username,
        ]) { $1 }
        var demoContext = context
        demoContext.environment = environment
        var configuration = try demoContext.configuration()
        // Whatever a settings file says, the demo is private: its own database, loopback only.
        configuration.portalDatabase = nil
        configuration.httpHost = "127.0.0.1"
        let logger = demoContext.logger(for: configuration, defaultLevel: .notice)
        let migrations = try demoContext.migrations(configuration)
        guard let migrationsDirectory = configuration.migrationsDirectory ?? MigrationDirectory.locate(workingDirectory: context.workingDirectory)
        else { throw ArgumentParser.ValidationError("cannot find the Migrations folder: run the demo from the QueryGate checkout") }
        let schema = migrationsDirectory.appendingPathComponent("target_db_schema.sql")

        let database = try await PortalDatabase.open(configuration, logger: logger)
        defer { database.close() }
        let client = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
        let workspace = SlackWorkspace(botToken: botToken, baseURL: baseURL, people: DemoOrganisation.people, channels: [DemoOrganisation.channel])
        let console = SlackConsole(workspace: workspace, gatewayURL: baseURL, signingSecret: signingSecret, logger: logger)
        let output = context.output
        let app = try await QueryGateApp.build(
            configuration: configuration, client: client, logger: logger,
            beforeServing: {
            try await ServeCommand.prepareSchema(client: client, migrations: migrations, apply: true, logger: logger)
            try await DemoOrganisation.prepareSampleDatabase(
                socketPath: embedded.socketDirectory.appendingPathComponent(".s.PGSQL.5432").path,
                user: embedded.clientConfiguration.username, schema: schema, logger: logger)
            let seeded = try await DemoOrganisation.seed(PortalStore(client: client, logger: logger))
            output.line(seeded ? "QueryGate demo: created the sample pod, people and database in \(dataDirectory.path)"
                               : "QueryGate demo: reusing the sample setup in \(dataDirectory.path)")
            output.line("QueryGate demo: open \(baseURL)/console (try `/query demo/shop Looking around ```SELECT * FROM customers```` as Dana, approve as Maya)")
            fflush(nil)  // the address must show at once, also when the output is a pipe or a file
        },
            extraRoutes: { router in
                SlackStandInRoutes(workspace: workspace).register(on: router)
                ConsoleRoutes(console: console, port: port).register(on: router)
            })
        try await app.runService()
    }

    /// `SystemRandomNumberGenerator` reads the kernel's CSPRNG (getrandom on Linux).
    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
