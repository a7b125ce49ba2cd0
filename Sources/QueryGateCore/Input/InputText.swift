/// The one rule for text that comes from outside (Slack forms and payloads, API bodies and query strings):
/// PostgreSQL's `text` and `jsonb` refuse U+0000, so a NUL anywhere would reach SQL as a 500. Every door checks
/// its input with this before anything of it is used, and answers with the field it found.
///
/// Invalid UTF-8 never gets this far: a Swift `String` cannot hold it, and the doors refuse bytes that do not
/// decode (`FormBody`, `JSONDecoder`).
public enum InputText {
    /// Characters no text stored in the portal database may contain.
    public static func isStorable(_ text: some StringProtocol) -> Bool {
        !text.utf8.contains(0)
    }

    /// - Throws: `ValidationError` naming `field` when `text` holds a character PostgreSQL refuses.
    public static func check(_ text: some StringProtocol, field: String) throws(ValidationError) {
        guard isStorable(text) else { throw refusal(field: field) }
    }

    /// What every door says about such input.
    public static func refusal(field: String) -> ValidationError {
        ValidationError(field: field, "contains a NUL character (U+0000), which QueryGate cannot store; remove it and try again")
    }
}
