import Foundation
import Logging
import QueryGateCore

/// What a `/query` command asks for. The grammar (also in `/query help` and the README):
///
/// ```
/// /query                                              open the request form
/// /query help                                         this help
/// /query list                                         my recent requests
/// /query status 42                                    one request
/// /query cancel 42                                    withdraw my pending request
/// /query remind 42                                    remind the approvers of my pending request (once an hour)
/// /query sync [pg-main]                               admins: sync the database registry with the servers
/// /query pg-main/customer_db <reason> ```<query>```   request one statement
/// /query script pg-main/customer_db <reason> ```<statements>```   request a script (one transaction)
/// ```
///
/// The target always contains a `/` and the keywords never do, so a first word is never ambiguous; the query
/// sits between triple backticks, which SQL and mongosh never use, so it may span lines and contain anything.
public enum QueryCommand: Equatable, Sendable {
    case openForm
    case help
    case list
    case status(requestID: Int)
    case cancel(requestID: Int)
    case remind(requestID: Int)
    /// One instance, or every active one when nil.
    case sync(instance: InstanceName?)
    case submit(target: String, type: SubmissionType, reason: String, query: String)

    public static func parse(_ rawText: String) throws(ValidationError) -> QueryCommand {
        let text = unescapeSlack(rawText).trimmingSpaces()
        guard !text.isEmpty else { return .openForm }
        let firstWord = text.upToFirstSpace()
        let rest = text[firstWord.endIndex...].trimmingSpaces()
        switch firstWord.lowercased() {
        case "help", "-h", "--help", "?": return .help
        case "list", "ls": return .list
        case "status": return .status(requestID: try requestID(rest, command: "status"))
        case "cancel": return .cancel(requestID: try requestID(rest, command: "cancel"))
        case "remind", "nudge": return .remind(requestID: try requestID(rest, command: "remind"))
        case "script": return try submission(rest, type: .script)
        case "sync":
            guard !rest.contains(where: \.isWhitespace) else {
                throw ValidationError(field: "instance", "`/query sync` takes one instance name at most, such as `/query sync pg-main`")
            }
            return .sync(instance: rest.isEmpty ? nil : try InstanceName(rest))
        default:
            guard firstWord.contains("/") else {
                throw ValidationError(
                    field: "command",
                    "I don't know `\(firstWord.prefix(40))`. Start with a target such as `pg-main/customer_db`, or a command: help, list, status, cancel, remind, script, sync")
            }
            return try submission(text, type: .query)
        }
    }

    private static func requestID(_ text: String, command: String) throws(ValidationError) -> Int {
        guard let id = RequestNumber.parse(text) else {
            throw ValidationError(field: "id", "`/query \(command)` takes a request number, such as `/query \(command) 42`")
        }
        return id
    }

    private static func submission(_ text: String, type: SubmissionType) throws(ValidationError) -> QueryCommand {
        let targetWord = text.upToFirstSpace()
        let target = String(targetWord)
        let afterTarget = text[targetWord.endIndex...]
        guard let (open, close) = fences(in: afterTarget), close.lowerBound > open.lowerBound else {
            throw ValidationError(
                field: "query",
                "put the query between triple backticks: `/query \(target.isEmpty ? "pg-main/customer_db" : target) <reason> ```SELECT …```` (or type `/query` alone for a form)")
        }
        let reason = afterTarget[..<open.lowerBound].trimmingSpaces()
        let query = dropLanguageTag(String(afterTarget[open.upperBound..<close.lowerBound]))
        guard afterTarget[close.upperBound...].trimmingSpaces().isEmpty else {
            throw ValidationError(field: "query", "nothing may follow the closing ``` of the query")
        }
        return .submit(target: target, type: type, reason: reason, query: query)
    }

    /// The first and the last ```` ``` ```` of `text` (the same one when there is one): by byte when the text is ASCII,
    /// as most is, since Foundation's search compares characters (1% of a submission's CPU); by Foundation's otherwise.
    static func fences(in text: Substring) -> (first: Range<String.Index>, last: Range<String.Index>)? {
        let utf8 = text.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else {
            guard let first = text.range(of: "```"), let last = text.range(of: "```", options: .backwards) else { return nil }
            return (first, last)
        }
        var first: String.Index?
        var last: String.Index?
        var backticks = 0
        var index = utf8.startIndex
        while index < utf8.endIndex {
            backticks = utf8[index] == UInt8(ascii: "`") ? backticks + 1 : 0
            if backticks >= 3 {
                let start = utf8.index(index, offsetBy: -2)
                first = first ?? start
                last = start
            }
            index = utf8.index(after: index)
        }
        guard let first, let last else { return nil }
        return (first..<utf8.index(first, offsetBy: 3), last..<utf8.index(last, offsetBy: 3))
    }

    /// ```` ```sql ```` and ```` ```js ```` are how people fence code in Slack; the tag is not part of the query.
    private static func dropLanguageTag(_ fenced: String) -> String {
        guard let newline = fenced.firstIndex(of: "\n") else { return fenced.trimmingSpaces() }
        let firstLine = fenced[..<newline].trimmingSpaces().lowercased()
        let tags: Set<String> = ["sql", "postgresql", "postgres", "psql", "pgsql", "js", "javascript", "mongo", "mongodb", "mongosh"]
        return tags.contains(firstLine) ? String(fenced[fenced.index(after: newline)...]).trimmingSpaces() : fenced.trimmingSpaces()
    }

    /// Slack escapes `&`, `<` and `>` in command text (https://api.slack.com/reference/surfaces/formatting#escaping).
    static func unescapeSlack(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
