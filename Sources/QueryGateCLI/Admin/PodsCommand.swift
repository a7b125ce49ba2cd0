import ArgumentParser
import Foundation
import PortalStore
import QueryGateCore

/// `querygate pods`: the teams whose requests are approved together.
struct PodsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pods",
        abstract: "Add and list pods (teams, each with its Slack approval channel).",
        subcommands: [Add.self, List.self]
    )

    struct Add: ContextualCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a pod. Its managers are the users you then add to it with --role manager.",
            discussion: "Example: querygate pods add --name payments --channel C0APPROVE1 --description 'Payments team'"
        )

        @Option(help: "Lower-case name, such as payments.") var name: String
        @Option(help: "The Slack channel id where approvals are posted (C…; not the #name).") var channel: String
        @Option(help: "What the pod is.") var description: String?

        func run(in context: CommandContext) async throws {
            let pod = NewPod(name: try PodName(name, field: "name"), slackChannelID: try SlackChannelID(channel), description: description)
            let created = try await context.withStore { store in try await store.addPod(pod, by: context.actor) }
            context.output.line("Added pod \(created.name) (id \(created.id)); approvals go to Slack channel \(created.slackChannelID).")
        }
    }

    struct List: ContextualCommand {
        static let configuration = CommandConfiguration(abstract: "List pods with their approval channel and managers.")

        func run(in context: CommandContext) async throws {
            let pods = try await context.withStore { store in try await store.listPods() }
            TextTable.print(
                ["NAME", "CHANNEL", "MANAGERS", "MEMBERS", "ACTIVE"],
                pods.map { [$0.name, $0.slackChannelID, $0.managers.isEmpty ? "(none)" : $0.managers.joined(separator: ","),
                            String($0.memberCount), $0.isActive ? "yes" : "no"] },
                to: context.output, empty: "No pods yet: add one with `querygate pods add`.")
        }
    }
}
