import ArgumentParser
import Foundation
import PortalStore
import QueryGateCore

/// `querygate users`: the people who request and approve.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Add, list, activate and deactivate portal users.",
        subcommands: [Add.self, List.self, Deactivate.self, Activate.self]
    )

    struct Add: ContextualCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user. Developers and managers belong to a pod; admins need not.",
            discussion: """
                Example: querygate users add --email maria@example.com --name "Maria K" --role manager --pod payments --slack-id U0MGR0001
                """
        )

        @Option(help: "E-mail address (case does not matter).") var email: String
        @Option(help: "Full name.") var name: String
        @Option(help: "developer, manager or admin.") var role: String = "developer"
        @Option(help: "The pod's name (required for developers and managers).") var pod: String?
        @Option(name: .customLong("slack-id"), help: "Slack member id (U…), which links their Slack account.") var slackID: String?

        func run(in context: CommandContext) async throws {
            let user = try NewUser(
                email: try EmailAddress(email), name: name, role: try Role(parsing: role), pod: try pod.map { try PodName($0) },
                slackUserID: try slackID.map { try SlackUserID($0) })
            let created = try await context.withStore { store in try await store.addUser(user, by: context.actor) }
            context.output.line(
                "Added \(created.role.rawValue) \(created.email) (id \(created.id))"
                    + (created.podName.map { " to pod \($0)" } ?? "")
                    + (created.slackUserID.map { ", Slack \($0)" } ?? ", no Slack id: they cannot use /query until one is set") + ".")
        }
    }

    struct List: ContextualCommand {
        static let configuration = CommandConfiguration(abstract: "List users, optionally of one pod.")

        @Option(help: "Only this pod's users.") var pod: String?

        func run(in context: CommandContext) async throws {
            let pod = try pod.map { try PodName($0) }
            let users = try await context.withStore { store in try await store.listUsers(pod: pod) }
            TextTable.print(
                ["EMAIL", "NAME", "ROLE", "POD", "SLACK", "ACTIVE"],
                users.map { [$0.email, $0.name, $0.role.rawValue, $0.podName ?? "-", $0.slackUserID ?? "-", $0.isActive ? "yes" : "no"] },
                to: context.output, empty: "No users yet: add one with `querygate users add`.")
        }
    }

    struct Deactivate: ContextualCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a user from requesting and approving (their history stays).")

        @Option(help: "The user's e-mail address.") var email: String

        func run(in context: CommandContext) async throws {
            let email = try EmailAddress(email)
            try await context.withStore { store in try await store.setUserActive(email: email, active: false, by: context.actor) }
            context.output.line("Deactivated \(email).")
        }
    }

    struct Activate: ContextualCommand {
        static let configuration = CommandConfiguration(abstract: "Let a deactivated user in again.")

        @Option(help: "The user's e-mail address.") var email: String

        func run(in context: CommandContext) async throws {
            let email = try EmailAddress(email)
            try await context.withStore { store in try await store.setUserActive(email: email, active: true, by: context.actor) }
            context.output.line("Activated \(email).")
        }
    }
}
