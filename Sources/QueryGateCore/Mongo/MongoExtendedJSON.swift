/// Renders values as MongoDB Relaxed Extended JSON v2, for showing results in Slack and
/// exporting them.
///
/// Output is compact and single-line in the spacing of the Extended JSON spec's examples,
/// `{"a": 1, "b": [1, 2]}` — not libbson's `{ "a" : 1 }` — so it reads naturally and is
/// stable for tests. Keys keep document order.
public enum MongoExtendedJSON {
    public static func relaxed(_ value: MongoValue) -> String {
        var output = ""
        write(value, to: &output)
        return output
    }

    public static func relaxed(_ document: MongoDocument) -> String {
        relaxed(.document(document))
    }

    /// The columns for a CSV export: every key in first-seen order, or nil when any
    /// document has a nested document or array and the results don't fit a table.
    public static func flatColumns(_ documents: [MongoDocument]) -> [String]? {
        var columns = MongoFlatColumns()
        for document in documents { columns.note(.document(document)) }
        return columns.columns
    }

    /// A scalar as a CSV cell: strings as themselves, null as an empty cell, dates as ISO-8601
    /// and ObjectIds as bare hex; everything else in Relaxed Extended JSON.
    public static func cellText(_ value: MongoValue) -> String {
        switch value {
        case .string(let text): text
        case .null: ""
        case .objectId(let id): id.hexString
        case .date(let milliseconds):
            MongoDateConversion.iso8601(millisecondsSinceEpoch: milliseconds) ?? String(milliseconds)
        default: relaxed(value)
        }
    }

    // MARK: - Writing

    private static func write(_ value: MongoValue, to output: inout String) {
        switch value {
        case .double(let number):
            output += doubleText(number)
        case .string(let text):
            writeString(text, to: &output)
        case .document(let document):
            output += "{"
            for (index, field) in document.fields.enumerated() {
                if index > 0 { output += ", " }
                writeString(field.key, to: &output)
                output += ": "
                write(field.value, to: &output)
            }
            output += "}"
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += ", " }
                write(element, to: &output)
            }
            output += "]"
        case .binary(let subtype, let bytes):
            let subtypeHex = MongoHex.encode([subtype])
            output += "{\"$binary\": {\"base64\": \"\(MongoBase64.encode(bytes))\", \"subType\": \"\(subtypeHex)\"}}"
        case .objectId(let id):
            output += "{\"$oid\": \"\(id.hexString)\"}"
        case .bool(let flag):
            output += flag ? "true" : "false"
        case .date(let milliseconds):
            if let iso = MongoDateConversion.iso8601(millisecondsSinceEpoch: milliseconds) {
                output += "{\"$date\": \"\(iso)\"}"
            } else {
                output += "{\"$date\": {\"$numberLong\": \"\(milliseconds)\"}}"
            }
        case .null:
            output += "null"
        case .regex(let pattern, let options):
            output += "{\"$regularExpression\": {\"pattern\": "
            writeString(pattern, to: &output)
            output += ", \"options\": "
            writeString(options, to: &output)
            output += "}}"
        case .int32(let number):
            output += String(number)
        case .int64(let number):
            output += String(number)
        case .decimal128(let text):
            output += "{\"$numberDecimal\": "
            writeString(text, to: &output)
            output += "}"
        case .timestamp(let seconds, let increment):
            output += "{\"$timestamp\": {\"t\": \(seconds), \"i\": \(increment)}}"
        case .minKey:
            output += "{\"$minKey\": 1}"
        case .maxKey:
            output += "{\"$maxKey\": 1}"
        }
    }

    /// Finite doubles are JSON numbers that always show a fraction or exponent (`1.0`,
    /// `1e+16`), so they read back as doubles; non-finite ones need the wrapper.
    private static func doubleText(_ number: Double) -> String {
        if number.isNaN { return "{\"$numberDouble\": \"NaN\"}" }
        if number.isInfinite {
            return number < 0 ? "{\"$numberDouble\": \"-Infinity\"}" : "{\"$numberDouble\": \"Infinity\"}"
        }
        let text = number.description
        return text.contains(where: { $0 == "." || $0 == "e" }) ? text : text + ".0"
    }

    /// JSON string escaping: quotes, backslashes and control characters; everything else
    /// (including non-ASCII) as is.
    private static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20:
                output += "\\u00" + MongoHex.encode([UInt8(scalar.value)])
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

/// The CSV columns of documents seen one at a time (a result streams): every key in first-seen order, until a
/// value that is not a flat document (one with a nested document or array) makes a table impossible.
public struct MongoFlatColumns: Sendable {
    /// nil once a value did not fit a table.
    public private(set) var columns: [String]? = []
    private var seen: Set<String> = []

    public init() {}

    public mutating func note(_ value: MongoValue) {
        guard columns != nil else { return }
        guard case .document(let document) = value, !document.fields.contains(where: { $0.value.isContainer }) else {
            columns = nil
            return
        }
        for key in document.keys where seen.insert(key).inserted { columns?.append(key) }
    }
}
