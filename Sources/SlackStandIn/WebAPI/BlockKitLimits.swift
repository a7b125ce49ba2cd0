import QueryGateCore

/// Slack's Block Kit limits for messages and views (https://api.slack.com/reference/block-kit/blocks): a message
/// Slack would refuse with `invalid_blocks` (or `msg_too_long`) is refused here too, with what broke which limit,
/// so that the demo and the tests find a message QueryGate should not send before a real workspace does.
public enum BlockKitLimits {
    /// The error code Slack answers and a sentence saying why, or nil when Slack would take the message.
    public static func problem(method: String, arguments: JSONValue) -> (code: String, detail: String)? {
        if let text = arguments["text"]?.stringValue, text.count > 40_000 {
            return ("msg_too_long", "text of \(text.count) characters (limit 40000)")
        }
        let isView = arguments["view"] != nil
        let blocks = arguments["blocks"]?.arrayValue ?? arguments["view"]?["blocks"]?.arrayValue ?? []
        let limit = isView ? 100 : 50
        if blocks.count > limit { return ("invalid_blocks", "\(blocks.count) blocks (limit \(limit))") }
        for block in blocks {
            if let problem = problem(in: block) { return ("invalid_blocks", problem) }
        }
        return nil
    }

    /// One block's problem. An `action_id` must be unique within its block, as Slack documents it, not within the
    /// message: the Home tab's Approve buttons share one per request, each in its own `actions` block.
    private static func problem(in block: JSONValue) -> String? {
        var actionIDs = Set<String>()
        let type = block["type"]?.stringValue ?? ""
        let text = block["text"]?["text"]?.stringValue ?? ""
        if type == "section", text.count > 3000 { return "section text of \(text.count) characters (limit 3000)" }
        if type == "header", text.count > 150 { return "header of \(text.count) characters (limit 150)" }
        if type == "section", text.isEmpty, block["fields"] == nil { return "a section with neither text nor fields" }
        if let blockID = block["block_id"]?.stringValue, blockID.count > 255 { return "block_id of \(blockID.count) characters (limit 255)" }
        if let fields = block["fields"]?.arrayValue {
            if fields.count > 10 { return "\(fields.count) fields (limit 10)" }
            if let long = fields.first(where: { ($0["text"]?.stringValue ?? "").count > 2000 }) {
                return "field of \((long["text"]?.stringValue ?? "").count) characters (limit 2000)"
            }
        }
        let elements = block["elements"]?.arrayValue ?? []
        if type == "context", elements.count > 10 { return "context of \(elements.count) elements (limit 10)" }
        if type == "actions", elements.count > 25 { return "actions of \(elements.count) elements (limit 25)" }
        if type == "table" {
            let rows = block["rows"]?.arrayValue ?? []
            if rows.count > 100 { return "table of \(rows.count) rows (limit 100)" }
            if let wide = rows.first(where: { ($0.arrayValue?.count ?? 0) > 20 }) { return "table row of \(wide.arrayValue?.count ?? 0) cells (limit 20)" }
        }
        for element in elements + [block["element"], block["accessory"]].compactMap({ $0 }) {
            if element["type"]?.stringValue == "button", let label = element["text"]?["text"]?.stringValue, label.count > 75 {
                return "button label of \(label.count) characters (limit 75)"
            }
            guard let actionID = element["action_id"]?.stringValue else { continue }
            if actionID.isEmpty || actionID.count > 255 { return "action_id of \(actionID.count) characters" }
            if !actionIDs.insert(actionID).inserted { return "duplicate action_id \(actionID)" }
        }
        return nil
    }
}
