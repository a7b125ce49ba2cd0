import ArgumentParser
import Foundation
import NIOPosix
import PortalAPI
import PortalStore
import QueryGateCore
import QueryGateServer

/// `querygate users`: the people who request and approve.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Add, list, activate and deactivate portal users, and set their portal passwords.",
        subcommands: [Add.self, List.self, Deactivate.self, Activate.self, SetPassword.self]
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
            abstract: "Stop a user from requesting and approving, and end their portal sessions (their history stays).",
            discussion: "Their portal sessions end for good: `users activate` lets them sign in again, but revives none of them.")

        @Option(help: "The user's e-mail address.") var email: String

        func run(in context: CommandContext) async throws {
            let email = try EmailAddress(email)
            try await context.withStore { store in try await store.setUserActive(email: email, active: false, by: context.actor) }
            context.output.line("Deactivated \(email); their portal sessions are ended.")
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

    struct SetPassword: ContextualCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set a user's password for the web portal (asked at the terminal, never taken as an argument).",
            discussion: """
                Asks twice, with echo off. For scripts, pipe it in: printf '%s\\n' "$PASSWORD" | querygate users set-password --email maria@example.com --password-stdin
                Every portal session the user has open ends: whoever held the old password is signed out.
                """
        )

        @Option(help: "The user's e-mail address.") var email: String
        @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of standard input.") var passwordStdin = false

        func run(in context: CommandContext) async throws {
            let email = try EmailAddress(email)
            let password = try readPassword(context.input)
            guard password.count >= PasswordHasher.minimumLength else {
                throw ValidationError(field: "password", "is \(password.count) characters long; use at least \(PasswordHasher.minimumLength)")
            }
            guard password.utf8.count <= PasswordHasher.maximumBytes else {
                throw ValidationError(field: "password", "is longer than bcrypt reads (\(PasswordHasher.maximumBytes) bytes); use a shorter one")
            }
            let configuration = try context.configuration()
            let hasher = try await PasswordHasher(threadPool: .singleton, cost: configuration.jwt.bcryptCost)
            let hash = try await hasher.hash(password)
            try await context.withStore { store in try await store.setPasswordHash(hash, for: email, by: context.actor) }
            context.output.line("Set the portal password of \(email).")
        }

        private func readPassword(_ input: any CommandInput) throws -> String {
            if passwordStdin {
                guard let line = input.readLine() else { throw ValidationError(field: "password-stdin", "standard input was empty") }
                return line
            }
            guard let first = input.readSecret(prompt: "New password for \(email): ") else {
                throw ValidationError(field: "password", "there is no terminal to ask at: pipe the password in with --password-stdin")
            }
            guard input.readSecret(prompt: "Again, to be sure: ") == first else {
                throw ValidationError(field: "password", "the two entries differ; nothing was changed")
            }
            return first
        }
    }
}
