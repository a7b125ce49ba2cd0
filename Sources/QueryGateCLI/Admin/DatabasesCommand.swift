import ArgumentParser
import Foundation
import PortalStore
import QueryGateCore

/// `querygate databases`: what requests can target, as `<instance>/<database>`.
struct DatabasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "databases",
        abstract: "Add and list the databases requests can target.",
        subcommands: [Add.self, List.self]
    )

    struct Add: ContextualCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a database to an instance by hand (kept across syncs).",
            discussion: "Example: querygate databases add --instance pg-main --name customer_db --description 'Shop customers'"
        )

        @Option(help: "The instance's name.") var instance: String
        @Option(help: "The database's name on that instance.") var name: String
        @Option(help: "What is in it.") var description: String?

        func run(in context: CommandContext) async throws {
            let instance = try InstanceName(instance)
            let name = try DatabaseName(name, field: "name")
            let created = try await context.withStore { store in
                try await store.addDatabase(instance: instance, name: name, description: description, by: context.actor)
            }
            context.output.line("Added database \(created.path) (id \(created.id)).")
        }
    }

    struct List: ContextualCommand {
        static let configuration = CommandConfiguration(abstract: "List databases, optionally of one instance.")

        @Option(help: "Only this instance's databases.") var instance: String?

        func run(in context: CommandContext) async throws {
            let instance = try instance.map { try InstanceName($0) }
            let databases = try await context.withStore { store in try await store.listDatabases(instance: instance) }
            TextTable.print(
                ["TARGET", "TYPE", "SOURCE", "ACTIVE", "ON SERVER", "DESCRIPTION"],
                databases.map {
                    [$0.path, $0.instanceType.rawValue, $0.source, $0.isActive ? "yes" : "no", $0.isMissing ? "missing" : $0.source == "synced" ? "yes" : "-",
                     $0.description ?? ""]
                },
                to: context.output, empty: "No databases yet: add one with `querygate databases add`.")
        }
    }
}
