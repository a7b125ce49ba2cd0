import ArgumentParser

/// `querygate`: the gateway's one executable.
public struct QueryGateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "querygate",
        abstract: "Run database queries in production through Slack approvals, without holding credentials.",
        discussion: """
            With no PORTAL_DB_* variables set, QueryGate keeps its own data in an embedded PostgreSQL under \
            .querygate/ (QUERYGATE_DATA_DIR); set PORTAL_DB_HOST and friends to use your server. See README.md.
            """,
        subcommands: [
            ServeCommand.self, DemoCommand.self, MigrateCommand.self, PodsCommand.self, UsersCommand.self, InstancesCommand.self,
            DatabasesCommand.self, SyncCommand.self, BlacklistCommand.self, AuditCommand.self,
        ]
    )

    public init() {}
}
