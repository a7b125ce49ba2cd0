/// The arguments of one call — a collection method, cursor method or shell helper — with
/// typed accessors whose errors point at the offending argument and show correct usage.
struct MongoCallArguments {
    /// The called name as shown in messages, e.g. "find" or "ObjectId".
    let callee: String
    /// A correct call, e.g. `find({status: "shipped"}, {_id: 0})`.
    let usage: String
    let list: MongoArgumentList
    let source: MongoSourceText

    var count: Int { list.arguments.count }

    func error(_ message: String, at offset: Int) -> MongoParseError {
        MongoParseError(message, at: offset, in: source)
    }

    /// Fails at the first extra argument, or at `)` when arguments are missing.
    @discardableResult
    func requireCount(_ range: ClosedRange<Int>, missingNote: String = "") throws(MongoParseError) -> [MongoArgument] {
        let arguments = list.arguments
        if arguments.count > range.upperBound {
            throw error(
                "too many arguments to \(callee): it takes at most \(range.upperBound); use \(usage)",
                at: arguments[range.upperBound].offset)
        }
        if arguments.count < range.lowerBound {
            throw error("missing argument to \(callee)\(missingNote); use \(usage)", at: list.closingOffset)
        }
        return arguments
    }

    /// The argument at `index`, or nil when the call has fewer arguments.
    func optional(_ index: Int) -> MongoArgument? {
        index < count ? list.arguments[index] : nil
    }

    func string(_ argument: MongoArgument) throws(MongoParseError) -> String {
        guard case .string(let text) = argument.value else {
            throw error("\(callee) expects a string here; use \(usage)", at: argument.offset)
        }
        return text
    }

    /// A whole number given as any numeric type, or as a string of digits (strings keep the
    /// 64-bit precision a JavaScript number would lose).
    func integer(_ argument: MongoArgument, in range: ClosedRange<Int64>) throws(MongoParseError) -> Int64 {
        let value: Int64? =
            switch argument.value {
            case .string(let text): Int64(text)
            default: argument.value.exactInteger
            }
        guard let value, range.contains(value) else {
            throw error(
                "\(callee) expects a whole number between \(range.lowerBound) and \(range.upperBound); use \(usage)",
                at: argument.offset)
        }
        return value
    }

    /// `role` names the argument in the message, e.g. "the filter".
    func document(_ argument: MongoArgument, role: String) throws(MongoParseError) -> MongoDocument {
        guard case .document(let document) = argument.value else {
            throw error("\(callee) expects \(role) to be a document; use \(usage)", at: argument.offset)
        }
        return document
    }

    /// An array whose elements are all documents, such as a pipeline or `insertMany`'s input.
    func documents(_ argument: MongoArgument, role: String) throws(MongoParseError) -> [MongoDocument] {
        guard case .array(let elements) = argument.value else {
            throw error("\(callee) expects \(role) to be an array; use \(usage)", at: argument.offset)
        }
        var documents: [MongoDocument] = []
        for (index, element) in elements.enumerated() {
            guard case .document(let document) = element else {
                throw error("\(callee) expects element \(index) of \(role) to be a document", at: argument.offset)
            }
            documents.append(document)
        }
        return documents
    }
}
