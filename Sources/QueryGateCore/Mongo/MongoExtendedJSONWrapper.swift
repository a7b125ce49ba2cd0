/// Recognises MongoDB Extended JSON v2 type wrappers (canonical and relaxed), such as
/// `{"$oid": "..."}`, while a document is parsed, so users can paste the output of
/// mongoexport, Compass or a driver straight into a query.
///
/// As the Extended JSON spec requires, a wrapper key must be the only key of its object and
/// its value must have the right shape, otherwise parsing fails. Keys outside this table stay
/// ordinary fields — in particular the `$regex`/`$options` pair is left alone: in a filter it
/// is the `$regex` query operator, which the server already understands, and reading it as
/// legacy Extended JSON would only change its type, never its meaning.
enum MongoExtendedJSONWrapper {
    static let keys: Set<String> = [
        "$oid", "$date", "$numberInt", "$numberLong", "$numberDouble", "$numberDecimal", "$binary", "$uuid",
        "$regularExpression", "$timestamp", "$minKey", "$maxKey", "$undefined",
    ]

    /// The typed value for a wrapper object, or nil when `fields` is an ordinary document.
    static func value(of fields: [MongoParsedField], in source: MongoSourceText) throws(MongoParseError)
        -> MongoValue?
    {
        guard let wrapper = fields.first(where: { keys.contains($0.key) }) else { return nil }
        guard fields.count == 1 else {
            throw MongoParseError(
                "the Extended JSON key \"\(wrapper.key)\" must be the only key in its object",
                at: wrapper.keyOffset, in: source)
        }
        guard let value = typedValue(key: wrapper.key, wrapped: wrapper.value) else {
            let message =
                wrapper.key == "$undefined"
                ? "undefined is not supported; use null"
                : "\(wrapper.key) expects \(expectations[wrapper.key, default: "a different value"])"
            throw MongoParseError(message, at: wrapper.valueOffset, in: source)
        }
        return value
    }

    /// What each wrapper accepts, for error messages.
    private static let expectations: [String: String] = [
        "$oid": "a string of 24 hex digits",
        "$date": "an ISO-8601 string such as \"2024-01-02T03:04:05Z\" or a number of milliseconds",
        "$numberInt": "a string holding a 32-bit integer",
        "$numberLong": "a string holding a 64-bit integer",
        "$numberDouble": "a string holding a number, \"Infinity\", \"-Infinity\" or \"NaN\"",
        "$numberDecimal": "a string holding a decimal number with at most 34 significant digits",
        "$binary": "{\"base64\": \"...\", \"subType\": \"00\"} with a one- or two-digit hex subtype",
        "$uuid": "a string of 32 hex digits, optionally in 8-4-4-4-12 form",
        "$regularExpression": "{\"pattern\": \"...\", \"options\": \"...\"} with options among i, l, m, s, u, x",
        "$timestamp": "{\"t\": seconds, \"i\": increment} with both between 0 and 4294967295",
        "$minKey": "the number 1",
        "$maxKey": "the number 1",
    ]

    /// Nil when the wrapped value has the wrong shape; `$undefined` is always refused.
    private static func typedValue(key: String, wrapped: MongoValue) -> MongoValue? {
        switch (key, wrapped) {
        case ("$oid", .string(let hex)):
            return MongoObjectID(hex: hex).map(MongoValue.objectId)
        case ("$date", .string(let text)):
            return MongoDateConversion.milliseconds(fromISO8601: text).map { .date(millisecondsSinceEpoch: $0) }
        case ("$date", _):
            // Relaxed form `{"$date": 123}` or canonical `{"$date": {"$numberLong": "123"}}`,
            // whose inner wrapper has already become an int64.
            return wrapped.exactInteger.map { .date(millisecondsSinceEpoch: $0) }
        case ("$numberInt", .string(let text)):
            return Int32(text).map(MongoValue.int32)
        case ("$numberLong", .string(let text)):
            return Int64(text).map(MongoValue.int64)
        case ("$numberDouble", .string(let text)):
            return MongoNumberText.double(text).map(MongoValue.double)
        case ("$numberDecimal", .string(let text)):
            return MongoNumberText.isDecimal128(text) ? .decimal128(text) : nil
        case ("$binary", .document(let body)):
            guard hasExactly(["base64", "subType"], body), case .string(let base64)? = body["base64"],
                case .string(let subtypeHex)? = body["subType"], (1...2).contains(subtypeHex.count),
                let subtype = MongoHex.decode(subtypeHex.count == 1 ? "0" + subtypeHex : subtypeHex)?.first,
                let bytes = MongoBase64.decode(base64)
            else { return nil }
            return .binary(subtype: subtype, bytes: bytes)
        case ("$uuid", .string(let text)):
            return MongoUUIDText.bytes(text).map { .binary(subtype: 4, bytes: $0) }
        case ("$regularExpression", .document(let body)):
            guard hasExactly(["pattern", "options"], body), case .string(let pattern)? = body["pattern"],
                case .string(let options)? = body["options"],
                let sorted = try? MongoRegexOptions.fromBSONOptions(options)
            else { return nil }
            return .regex(pattern: pattern, options: sorted)
        case ("$timestamp", .document(let body)):
            guard hasExactly(["t", "i"], body), let seconds = body["t"]?.exactInteger.flatMap(UInt32.init(exactly:)),
                let increment = body["i"]?.exactInteger.flatMap(UInt32.init(exactly:))
            else { return nil }
            return .timestamp(seconds: seconds, increment: increment)
        case ("$minKey", _):
            return wrapped.exactInteger == 1 ? .minKey : nil
        case ("$maxKey", _):
            return wrapped.exactInteger == 1 ? .maxKey : nil
        default:
            return nil
        }
    }

    private static func hasExactly(_ keys: Set<String>, _ document: MongoDocument) -> Bool {
        document.count == keys.count && Set(document.keys) == keys
    }
}
