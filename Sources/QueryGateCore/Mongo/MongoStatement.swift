/// One parsed `db.<collection>.<method>(...)` statement of a script.
public struct MongoStatement: Sendable, Equatable {
    public let collection: String
    public let operation: MongoOperation
    /// Character offsets of the statement in the script, from `db` through its last `)`.
    public let sourceRange: Range<Int>
    /// 1-based line where the statement starts, for messages such as "statement 2 (line 4)".
    public let line: Int
    /// The statement exactly as written, for showing to approvers.
    public let text: String

    public init(collection: String, operation: MongoOperation, sourceRange: Range<Int>, line: Int, text: String) {
        self.collection = collection
        self.operation = operation
        self.sourceRange = sourceRange
        self.line = line
        self.text = text
    }

    public var isReadOnly: Bool { operation.isReadOnly }
}

/// The supported collection methods with their arguments, already validated.
public enum MongoOperation: Sendable, Equatable {
    case find(MongoFindOperation)
    case findOne(filter: MongoDocument, projection: MongoDocument?)
    /// `options` holds only the whitelisted aggregate options (see `MongoCollectionMethod`).
    case aggregate(pipeline: [MongoDocument], options: MongoDocument)
    case countDocuments(filter: MongoDocument)
    case distinct(field: String, filter: MongoDocument)
    case insertOne(MongoDocument)
    case insertMany([MongoDocument])
    case updateOne(MongoUpdateOperation)
    case updateMany(MongoUpdateOperation)
    case deleteOne(filter: MongoDocument)
    case deleteMany(filter: MongoDocument)

    /// The mongosh method name, e.g. "countDocuments".
    public var methodName: String {
        switch self {
        case .find: "find"
        case .findOne: "findOne"
        case .aggregate: "aggregate"
        case .countDocuments: "countDocuments"
        case .distinct: "distinct"
        case .insertOne: "insertOne"
        case .insertMany: "insertMany"
        case .updateOne: "updateOne"
        case .updateMany: "updateMany"
        case .deleteOne: "deleteOne"
        case .deleteMany: "deleteMany"
        }
    }

    /// Reads leave the database unchanged. An aggregation with an `$out` or `$merge` stage
    /// writes its results into a collection, so it counts as a write.
    public var isReadOnly: Bool {
        switch self {
        case .find, .findOne, .countDocuments, .distinct:
            true
        case .aggregate(let pipeline, _):
            !pipeline.contains { $0["$out"] != nil || $0["$merge"] != nil }
        case .insertOne, .insertMany, .updateOne, .updateMany, .deleteOne, .deleteMany:
            false
        }
    }
}

/// `find(filter, projection)` with its optional cursor modifiers.
public struct MongoFindOperation: Sendable, Equatable {
    public var filter: MongoDocument
    public var projection: MongoDocument?
    public var sort: MongoDocument?
    public var limit: Int64?
    public var skip: Int64?

    public init(
        filter: MongoDocument = [:], projection: MongoDocument? = nil, sort: MongoDocument? = nil,
        limit: Int64? = nil, skip: Int64? = nil
    ) {
        self.filter = filter
        self.projection = projection
        self.sort = sort
        self.limit = limit
        self.skip = skip
    }
}

/// `updateOne`/`updateMany(filter, update, options)`.
public struct MongoUpdateOperation: Sendable, Equatable {
    /// What to change: update operators such as `$set`, or an aggregation pipeline.
    /// Replacement documents are refused by the parser, as mongosh does for these methods.
    public enum Modification: Sendable, Equatable {
        case operators(MongoDocument)
        case pipeline([MongoDocument])

        public var value: MongoValue {
            switch self {
            case .operators(let document): .document(document)
            case .pipeline(let stages): .array(stages.map(MongoValue.document))
            }
        }
    }

    public var filter: MongoDocument
    public var modification: Modification
    public var upsert: Bool?
    public var arrayFilters: [MongoDocument]?
    public var collation: MongoDocument?
    /// An index name (string) or key pattern (document).
    public var hint: MongoValue?

    public init(
        filter: MongoDocument, modification: Modification, upsert: Bool? = nil, arrayFilters: [MongoDocument]? = nil,
        collation: MongoDocument? = nil, hint: MongoValue? = nil
    ) {
        self.filter = filter
        self.modification = modification
        self.upsert = upsert
        self.arrayFilters = arrayFilters
        self.collation = collation
        self.hint = hint
    }
}
