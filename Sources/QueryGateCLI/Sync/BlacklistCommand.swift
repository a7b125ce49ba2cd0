import ArgumentParser
import Foundation
import PortalStore
import QueryGateCore

/// `querygate blacklist`: database names the sync never adds (and marks missing if it had added them).
struct BlacklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blacklist",
        abstract: "Add, list and remove patterns of database names the sync skips.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: ContextualCommand {
        static let configuration = CommandConfiguration(
            abstract: "Skip names matching a pattern, on one instance or all; takes effect at the next sync.",
            discussion: """
                Examples: querygate blacklist add --pattern scratch --kind exact
                          querygate blacklist add --pattern tmp_ --kind prefix --instance pg-main --reason "throwaway copies"
                          querygate blacklist add --pattern '^ci_[0-9]+$' --kind regex   (POSIX, as PostgreSQL's ~)
                """
        )

        @Option(help: "The name, prefix or regex.") var pattern: String
        @Option(help: "exact, prefix or regex.") var kind: String = "exact"
        @Option(help: "Only this instance (default: every instance).") var instance: String?
        @Option(help: "Why it is skipped.") var reason: String?

        func run(in context: CommandContext) async throws {
            let new = try NewBlacklistPattern(
                pattern: pattern, kind: try BlacklistKind(parsing: kind), instance: try instance.map { try InstanceName($0) }, reason: reason)
            let entry = try await context.withStore { store in try await store.addBlacklistPattern(new, by: context.actor) }
            context.output.line(
                "Blacklisted \(entry.kind.rawValue) '\(entry.pattern)' on \(entry.instanceName ?? "every instance") (id \(entry.id)); the next sync applies it.")
        }
    }

    struct List: ContextualCommand {
        static let configuration = CommandConfiguration(abstract: "List the patterns, or those that apply to one instance.")

        @Option(help: "Only the patterns that apply to this instance.") var instance: String?

        func run(in context: CommandContext) async throws {
            let instance = try instance.map { try InstanceName($0) }
            let entries = try await context.withStore { store in try await store.listBlacklist(instance: instance) }
            TextTable.print(
                ["INSTANCE", "KIND", "PATTERN", "REASON"],
                entries.map { [$0.instanceName ?? "(all)", $0.kind.rawValue, $0.pattern, $0.reason ?? ""] },
                to: context.output, empty: "The blacklist is empty.")
        }
    }

    struct Remove: ContextualCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a pattern; names it hid are added at the next sync.")

        @Option(help: "The pattern, exactly as listed.") var pattern: String
        @Option(help: "The instance it applies to (default: the pattern of every instance).") var instance: String?

        func run(in context: CommandContext) async throws {
            let instance = try instance.map { try InstanceName($0) }
            let pattern = self.pattern
            try await context.withStore { store in try await store.removeBlacklistPattern(pattern, instance: instance, by: context.actor) }
            context.output.line("Removed '\(pattern)' from the blacklist of \(instance.map { "instance \($0)" } ?? "every instance").")
        }
    }
}
