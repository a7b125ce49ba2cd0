/// The collection methods a statement may call, and how their arguments become an operation.
enum MongoCollectionMethod: String, CaseIterable {
    case find, findOne, aggregate, countDocuments, distinct, insertOne, insertMany
    case updateOne, updateMany, deleteOne, deleteMany

    static let supportedList = allCases.map(\.rawValue).joined(separator: ", ")

    /// Methods recognised only to refuse them with the reason, rather than as "unknown".
    static let refusals: [String: String] = [
        "mapReduce": "server-side JavaScript is not allowed",
        "eval": "server-side JavaScript is not allowed",
        "runCommand": "arbitrary database commands are not allowed",
        "adminCommand": "arbitrary database commands are not allowed",
        "getSiblingDB": "a query runs against its request's database and cannot switch to another",
        "getMongo": "a query runs against its request's database and cannot reach the connection",
        "dropDatabase": "dropping databases or collections is not allowed",
        "drop": "dropping databases or collections is not allowed",
    ]

    /// Aggregate options passed through to the command. Anything else (`out`, `bypassDocumentValidation`,
    /// `maxTimeMS`, ...) is either unsafe or set by the engine itself.
    static let aggregateOptions = ["allowDiskUse", "collation", "hint", "let", "comment"]
    static let updateOptions = ["upsert", "arrayFilters", "collation", "hint"]

    var usage: String {
        switch self {
        case .find: "find({status: \"shipped\"}, {_id: 0})"
        case .findOne: "findOne({status: \"shipped\"}, {_id: 0})"
        case .aggregate: "aggregate([{$match: {status: \"shipped\"}}], {allowDiskUse: true})"
        case .countDocuments: "countDocuments({status: \"shipped\"})"
        case .distinct: "distinct(\"status\", {total: {$gt: 100}})"
        case .insertOne: "insertOne({sku: \"A1\", qty: 5})"
        case .insertMany: "insertMany([{sku: \"A1\"}, {sku: \"B2\"}])"
        case .updateOne, .updateMany: "\(rawValue)({_id: 1}, {$set: {status: \"shipped\"}}, {upsert: false})"
        case .deleteOne, .deleteMany: "\(rawValue)({status: \"cancelled\"})"
        }
    }

    func operation(_ arguments: MongoCallArguments) throws(MongoParseError) -> MongoOperation {
        switch self {
        case .find:
            try arguments.requireCount(0...2)
            return .find(MongoFindOperation(filter: try filter(arguments), projection: try projection(arguments)))
        case .findOne:
            try arguments.requireCount(0...2)
            return .findOne(filter: try filter(arguments), projection: try projection(arguments))
        case .aggregate:
            let list = try arguments.requireCount(1...2)
            let pipeline = try Self.pipeline(list[0], arguments, allowsEmpty: true)
            guard let optionsArgument = arguments.optional(1) else {
                return .aggregate(pipeline: pipeline, options: [:])
            }
            return .aggregate(pipeline: pipeline, options: try aggregateOptions(optionsArgument, arguments))
        case .countDocuments:
            try arguments.requireCount(0...1)
            return .countDocuments(filter: try filter(arguments))
        case .distinct:
            let list = try arguments.requireCount(1...2)
            let field = try arguments.string(list[0])
            guard !field.isEmpty else { throw arguments.error("distinct needs a field name", at: list[0].offset) }
            return .distinct(field: field, filter: try filter(arguments, at: 1))
        case .insertOne:
            let list = try arguments.requireCount(1...1)
            return .insertOne(try arguments.document(list[0], role: "the document to insert"))
        case .insertMany:
            let list = try arguments.requireCount(1...1)
            let documents = try arguments.documents(list[0], role: "the documents to insert")
            guard !documents.isEmpty else {
                throw arguments.error("insertMany needs at least one document", at: list[0].offset)
            }
            return .insertMany(documents)
        case .updateOne:
            return .updateOne(try update(arguments))
        case .updateMany:
            return .updateMany(try update(arguments))
        case .deleteOne, .deleteMany:
            let list = try arguments.requireCount(1...1, missingNote: " (pass {} to match every document)")
            let filter = try arguments.document(list[0], role: "the filter")
            return self == .deleteOne ? .deleteOne(filter: filter) : .deleteMany(filter: filter)
        }
    }

    // MARK: - Arguments

    /// The filter at `index`, or `{}` (every document) when the call stops before it.
    private func filter(_ arguments: MongoCallArguments, at index: Int = 0) throws(MongoParseError) -> MongoDocument {
        guard let argument = arguments.optional(index) else { return [:] }
        return try arguments.document(argument, role: "the filter")
    }

    private func projection(_ arguments: MongoCallArguments) throws(MongoParseError) -> MongoDocument? {
        guard let argument = arguments.optional(1) else { return nil }
        return try arguments.document(argument, role: "the projection")
    }

    /// An array of stages, each a document with exactly one `$`-prefixed key. `aggregate([])`
    /// returns every document, but an empty update pipeline would change nothing and the
    /// server rejects it.
    private static func pipeline(_ argument: MongoArgument, _ arguments: MongoCallArguments, allowsEmpty: Bool)
        throws(MongoParseError) -> [MongoDocument]
    {
        let stages = try arguments.documents(argument, role: "the pipeline")
        guard allowsEmpty || !stages.isEmpty else {
            throw arguments.error("\(arguments.callee) needs at least one pipeline stage", at: argument.offset)
        }
        for (index, stage) in stages.enumerated() where stage.count != 1 || stage.keys[0].first != "$" {
            throw arguments.error(
                "stage \(index) of the pipeline must be a document with exactly one stage such as {$match: {...}}",
                at: argument.offset)
        }
        return stages
    }

    private func aggregateOptions(_ argument: MongoArgument, _ arguments: MongoCallArguments)
        throws(MongoParseError) -> MongoDocument
    {
        let options = try arguments.document(argument, role: "the options")
        for field in options.fields {
            let isValid: Bool
            switch (field.key, field.value) {
            case ("allowDiskUse", .bool), ("collation", .document), ("let", .document), ("comment", _),
                ("hint", .document), ("hint", .string):
                isValid = true
            case ("allowDiskUse", _), ("collation", _), ("let", _), ("hint", _):
                isValid = false
            default:
                throw Self.unsupportedOption(field.key, supported: Self.aggregateOptions, argument, arguments)
            }
            guard isValid else { throw Self.invalidOption(field.key, argument, arguments) }
        }
        return options
    }

    private func update(_ arguments: MongoCallArguments) throws(MongoParseError) -> MongoUpdateOperation {
        let list = try arguments.requireCount(2...3)
        var update = MongoUpdateOperation(
            filter: try arguments.document(list[0], role: "the filter"),
            modification: try modification(list[1], arguments))
        guard let optionsArgument = arguments.optional(2) else { return update }
        for field in try arguments.document(optionsArgument, role: "the options").fields {
            switch (field.key, field.value) {
            case ("upsert", .bool(let upsert)):
                update.upsert = upsert
            case ("arrayFilters", .array):
                update.arrayFilters = try arguments.documents(
                    MongoArgument(value: field.value, offset: optionsArgument.offset), role: "arrayFilters")
            case ("collation", .document(let collation)):
                update.collation = collation
            case ("hint", .document), ("hint", .string):
                update.hint = field.value
            case ("upsert", _), ("arrayFilters", _), ("collation", _), ("hint", _):
                throw Self.invalidOption(field.key, optionsArgument, arguments)
            default:
                throw Self.unsupportedOption(field.key, supported: Self.updateOptions, optionsArgument, arguments)
            }
        }
        return update
    }

    /// Update operators or a pipeline. A plain document would replace the whole matched
    /// document, which `updateOne`/`updateMany` refuse in mongosh too.
    private func modification(_ argument: MongoArgument, _ arguments: MongoCallArguments) throws(MongoParseError)
        -> MongoUpdateOperation.Modification
    {
        switch argument.value {
        case .array:
            return .pipeline(try Self.pipeline(argument, arguments, allowsEmpty: false))
        case .document(let document) where !document.isEmpty && document.keys.allSatisfy({ $0.first == "$" }):
            return .operators(document)
        default:
            throw arguments.error(
                "\(rawValue) expects update operators such as {$set: {status: \"shipped\"}} or a pipeline; "
                    + "replacement documents are not supported", at: argument.offset)
        }
    }

    private static func unsupportedOption(
        _ name: String, supported: [String], _ argument: MongoArgument, _ arguments: MongoCallArguments
    ) -> MongoParseError {
        arguments.error(
            "unsupported \(arguments.callee) option \(MongoToken.quoted(name)); supported options are "
                + supported.joined(separator: ", "), at: argument.offset)
    }

    private static func invalidOption(_ name: String, _ argument: MongoArgument, _ arguments: MongoCallArguments)
        -> MongoParseError
    {
        let expectation =
            switch name {
            case "upsert", "allowDiskUse": "true or false"
            case "arrayFilters": "an array of documents"
            case "hint": "an index name or a key pattern document"
            default: "a document"
            }
        return arguments.error("the \(arguments.callee) option \(name) must be \(expectation)", at: argument.offset)
    }
}

/// Methods that may follow `find(...)`, each at most once and in any order.
enum MongoCursorMethod: String, CaseIterable {
    case sort, limit, skip

    var usage: String {
        switch self {
        case .sort: "sort({created_at: -1})"
        case .limit: "limit(10)"
        case .skip: "skip(20)"
        }
    }

    func apply(_ arguments: MongoCallArguments, to find: inout MongoFindOperation) throws(MongoParseError) {
        let argument = try arguments.requireCount(1...1)[0]
        switch self {
        case .sort: find.sort = try arguments.document(argument, role: "the sort order")
        case .limit: find.limit = try arguments.integer(argument, in: 0...Int64.max)
        case .skip: find.skip = try arguments.integer(argument, in: 0...Int64.max)
        }
    }
}
