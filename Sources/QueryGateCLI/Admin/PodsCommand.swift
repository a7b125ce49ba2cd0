import ArgumentParser
import Foundation
import PortalStore
import QueryGateCore

/// `querygate pods`: the teams whose requests are approved together.
struct PodsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pods",
        abstract: "Add, change and list pods (teams, each with its Slack approval channel).",
        subcommands: [Add.self, Change.self, List.self]
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

    struct Change: ContextualCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change a pod's settings.",
            discussion: """
                Example: querygate pods set --name payments --request-ttl 2h
                --request-ttl: how long the pod's requests wait for a decision (and an approved one for its run) before
                they expire, from 1m to 90d; `default` follows QUERYGATE_REQUEST_TTL again.
                """
        )

        @Option(help: "The pod.") var name: String
        @Option(help: "How long its requests stay open: 30m, 8h, 3d… or default.") var requestTTL: String

        func run(in context: CommandContext) async throws {
            let pod = try PodName(name, field: "name")
            let ttl: Duration?
            if requestTTL.lowercased() == "default" {
                ttl = nil
            } else {
                guard let parsed = DurationText.parse(requestTTL) else {
                    throw QueryGateCore.ValidationError(field: "request-ttl", "'\(requestTTL.prefix(20))' is not a duration: write 30m, 8h, 3d… or default")
                }
                ttl = parsed
            }
            try await context.withStore { store in try await store.setRequestTTL(of: pod, to: ttl, by: context.actor) }
            context.output.line(ttl.map { "Requests of pod \(pod) now expire \(DurationText.format(seconds: Int($0.components.seconds))) after they are made." }
                ?? "Requests of pod \(pod) now expire after QUERYGATE_REQUEST_TTL.")
        }
    }

    struct List: ContextualCommand {
        static let configuration = CommandConfiguration(abstract: "List pods with their approval channel and managers.")

        func run(in context: CommandContext) async throws {
            let pods = try await context.withStore { store in try await store.listPods() }
            TextTable.print(
                ["NAME", "CHANNEL", "MANAGERS", "MEMBERS", "ACTIVE", "REQUEST TTL"],
                pods.map { [$0.name, $0.slackChannelID, $0.managers.isEmpty ? "(none)" : $0.managers.joined(separator: ","),
                            String($0.memberCount), $0.isActive ? "yes" : "no", $0.requestTTLSeconds.map { DurationText.format(seconds: $0) } ?? "default"] },
                to: context.output, empty: "No pods yet: add one with `querygate pods add`.")
        }
    }
}
