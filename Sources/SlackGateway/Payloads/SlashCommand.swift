import QueryGateCore

/// A slash command (`/query …`) as Slack posts it (https://api.slack.com/interactivity/slash-commands): the
/// fields QueryGate reads, decoded after the signature check. Every field is optional here, as Slack's SSL check
/// sends none of the others; what a command must hold (a Slack user id, a conversation id) the route checks, so
/// that a missing one is answered as before.
struct SlashCommand: Decodable, Sendable, Equatable {
    var userID: String?
    var channelID: String?
    var text: String?
    var triggerID: String?
    var sslCheck: String?
    var teamID: String?
    var responseURL: String?
    var command: String?

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case channelID = "channel_id"
        case text
        case triggerID = "trigger_id"
        case sslCheck = "ssl_check"
        case teamID = "team_id"
        case responseURL = "response_url"
        case command
    }

    /// Slack checking the endpoint's certificate (`ssl_check=1`): acknowledged, nothing else.
    var isSSLCheck: Bool { sslCheck == "1" }

    /// The command in a form body.
    ///
    /// The raw form is read by `FormBody`, not by Hummingbird's `URLEncodedFormDecoder`: that decoder accepts
    /// what the Slack door refuses (a NUL, `%00`, reaches the model; a body is made a `String` before it is read,
    /// so invalid UTF-8 would have to be repaired or refused elsewhere), it reads `a[b]=` as nesting, refuses a
    /// repeated field, drops a field with no `=`, leaves `+` in names, and its errors do not name the field, which
    /// the route needs to answer a user or channel it cannot read with a 400 and any other field ephemerally. The
    /// model is then decoded from the checked fields, which costs a dictionary look-up per field.
    init(form body: [UInt8]) throws(ValidationError) {
        let fields = try FormBody.fields(body)
        do {
            self = try SlashCommand(from: FormFieldsDecoder(fields: fields))
        } catch {
            throw ValidationError(field: "body", "is not a slash command (\(error))")
        }
    }
}

/// Decodes a `Decodable` of optional and required `String`s from form fields that `FormBody` has already
/// decoded and checked. Nothing nested: a Slack form is flat.
struct FormFieldsDecoder: Decoder {
    let fields: [String: String]
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Container<Key>(fields: fields))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "a form body is flat"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(String.self, .init(codingPath: [], debugDescription: "a form body is a set of fields"))
    }

    struct Container<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let fields: [String: String]
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { fields.keys.compactMap(Key.init(stringValue:)) }

        func contains(_ key: Key) -> Bool { fields[key.stringValue] != nil }
        func decodeNil(forKey key: Key) throws -> Bool { fields[key.stringValue] == nil }

        func decode(_ type: String.Type, forKey key: Key) throws -> String {
            guard let value = fields[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: [key], debugDescription: "no field \(key.stringValue)"))
            }
            return value
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            guard type == String.self else {
                throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "a form field is text"))
            }
            return try decode(String.self, forKey: key) as! T
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: [key], debugDescription: "a form body is flat"))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: [key], debugDescription: "a form body is flat"))
        }

        func superDecoder() throws -> any Decoder { FormFieldsDecoder(fields: fields) }
        func superDecoder(forKey key: Key) throws -> any Decoder { FormFieldsDecoder(fields: fields) }
    }
}
