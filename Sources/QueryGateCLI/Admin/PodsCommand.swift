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
                Examples: querygate pods set --name payments --request-ttl 2h
                          querygate pods set --name payments --approvals-dangerous 2 --approvals-ddl 2
                --request-ttl: how long the pod's requests wait for a decision (and an approved one for its run) before
                they expire, from 1m to 90d; `default` follows QUERYGATE_REQUEST_TTL again.
                --approvals-<class>: how many distinct people (the pod's managers and admins) must approve a request of
                that risk class before it runs, from 1 to 5 (default 1). Requests made from then on follow it; open
                ones keep the number they were made with.
                """
        )

        @Option(help: "The pod.") var name: String
        @Option(help: "How long its requests stay open: 30m, 8h, 3d… or default.") var requestTTL: String?
        @Option(help: "Approvals a read-only request needs.") var approvalsReadOnly: Int?
        @Option(help: "Approvals a write needs.") var approvalsWrite: Int?
        @Option(help: "Approvals a schema change (DDL) needs.") var approvalsDdl: Int?
        @Option(help: "Approvals a dangerous request needs.") var approvalsDangerous: Int?

        func run(in context: CommandContext) async throws {
            let pod = try PodName(name, field: "name")
            let given: [(RiskAssessment.Level, Int?)] = [(.readOnly, approvalsReadOnly), (.write, approvalsWrite), (.ddl, approvalsDdl),
                                                           (.dangerous, approvalsDangerous)]
            let approvals = given.reduce(into: [RiskAssessment.Level: Int]()) { $0[$1.0] = $1.1 }
            guard requestTTL != nil || !approvals.isEmpty else {
                throw QueryGateCore.ValidationError(field: "name", "say what to change: --request-ttl or --approvals-<class> (see --help)")
            }
            // Everything is checked before anything is changed.
            var checked = ApprovalQuorum.single
            for (level, count) in approvals { try checked.set(count, for: level) }
            let ttl = try requestTTL.map(Self.parseTTL)

            if let ttl {
                try await context.withStore { store in try await store.setRequestTTL(of: pod, to: ttl, by: context.actor) }
                context.output.line(ttl.map { "Requests of pod \(pod) now expire \(DurationText.format(seconds: Int($0.components.seconds))) after they are made." }
                    ?? "Requests of pod \(pod) now expire after QUERYGATE_REQUEST_TTL.")
            }
            if !approvals.isEmpty {
                let quorum = try await context.withStore { store in try await store.setApprovals(of: pod, approvals, by: context.actor) }
                context.output.line("Requests of pod \(pod) now need approvals: \(quorum.summary).")
            }
        }

        /// `default` (nil: follow QUERYGATE_REQUEST_TTL again) or a duration.
        private static func parseTTL(_ text: String) throws -> Duration? {
            if text.lowercased() == "default" { return nil }
            guard let parsed = DurationText.parse(text) else {
                throw QueryGateCore.ValidationError(field: "request-ttl", "'\(text.prefix(20))' is not a duration: write 30m, 8h, 3d… or default")
            }
            return parsed
        }
    }

    struct List: ContextualCommand {
        static let configuration = CommandConfiguration(abstract: "List pods with their approval channel and managers.")

        func run(in context: CommandContext) async throws {
            let pods = try await context.withStore { store in try await store.listPods() }
            TextTable.print(
                ["NAME", "CHANNEL", "MANAGERS", "MEMBERS", "ACTIVE", "REQUEST TTL", "APPROVALS"],
                pods.map { [$0.name, $0.slackChannelID, $0.managers.isEmpty ? "(none)" : $0.managers.joined(separator: ","),
                            String($0.memberCount), $0.isActive ? "yes" : "no", $0.requestTTLSeconds.map { DurationText.format(seconds: $0) } ?? "default",
                            $0.approvals.summary] },
                to: context.output, empty: "No pods yet: add one with `querygate pods add`.")
        }
    }
}
