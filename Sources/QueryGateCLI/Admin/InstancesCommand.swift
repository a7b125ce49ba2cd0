import ArgumentParser
import Foundation
import PortalStore
import QueryGateCore

/// `querygate instances`: the database servers queries run on.
struct InstancesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instances",
        abstract: "Add and list target database instances (PostgreSQL or MongoDB).",
        subcommands: [Add.self, List.self]
    )

    struct Add: ContextualCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an instance by the names of its credential variables; no secret is stored.",
            discussion: """
                PostgreSQL: querygate instances add --name pg-main --type postgresql --credentials-env-prefix PG_INSTANCE_1
                  (reads PG_INSTANCE_1_HOST, _PORT, _USER and _PASSWORD when a query runs)
                MongoDB:    querygate instances add --name mongo-main --type mongodb --connection-string-env MONGO_INSTANCE_1_URI
                """
        )

        @Option(help: "Name used in targets, as in pg-main/customer_db.") var name: String
        @Option(help: "postgresql or mongodb.") var type: String
        @Option(help: "PostgreSQL: the prefix of its _HOST/_PORT/_USER/_PASSWORD variables.") var credentialsEnvPrefix: String?
        @Option(help: "MongoDB: the variable holding its connection string.") var connectionStringEnv: String?
        @Option(help: "What the instance is.") var description: String?

        func run(in context: CommandContext) async throws {
            let type = try DatabaseType(parsing: type)
            let instance = NewInstance(
                name: try InstanceName(name, field: "name"), type: type,
                credentials: try InstanceCredentials(type: type, environmentPrefix: credentialsEnvPrefix, connectionStringVariable: connectionStringEnv),
                description: description)
            let created = try await context.withStore { store in try await store.addInstance(instance, by: context.actor) }
            let variables = instance.credentials.variableNames
            let missing = variables.filter { context.environment[$0] == nil }
            context.output.line("Added \(created.type.rawValue) instance \(created.name) (id \(created.id)); credentials from \(variables.joined(separator: ", ")).")
            if !missing.isEmpty {
                context.output.line("Note: \(missing.joined(separator: ", ")) not set in this environment; set them where `querygate serve` runs.")
            }
        }
    }

    struct List: ContextualCommand {
        static let configuration = CommandConfiguration(
            abstract: "List instances and whether their credential variables are set here (values are never shown).")

        func run(in context: CommandContext) async throws {
            let instances = try await context.withStore { store in try await store.listInstances() }
            TextTable.print(
                ["NAME", "TYPE", "CREDENTIALS", "SET HERE", "DATABASES", "ACTIVE", "LAST SYNC", "SYNC STATUS", "FOUND/ADDED/BACK/MISSING"],
                instances.map { instance in
                    let variables = instance.credentials?.variableNames ?? []
                    let credentials: String =
                        switch instance.credentials {
                        case .environmentPrefix(let prefix): "\(prefix)_*"
                        case .connectionStringVariable(let variable): variable.rawValue
                        case nil: "(none)"
                        }
                    let setHere = variables.isEmpty ? "-" : variables.allSatisfy { context.environment[$0] != nil } ? "yes" : "no"
                    let counts = instance.lastSyncCounts.map { "\($0.found)/\($0.added)/\($0.reactivated)/\($0.markedMissing)" } ?? "-"
                    return [instance.name, instance.type.rawValue, credentials, setHere, String(instance.databaseCount),
                            instance.isActive ? "yes" : "no", instance.lastSyncAt?.formatted(.iso8601) ?? "never",
                            instance.lastSyncStatus ?? "-", counts]
                },
                to: context.output, empty: "No instances yet: add one with `querygate instances add`.")
        }
    }
}
