/// A statement that parsed but must not run.
public struct MongoPolicyViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// 0-based index of the statement in the script.
    public let statementIndex: Int
    /// 1-based line where that statement starts.
    public let line: Int
    /// Where the offending key sits in the statement, e.g. `filter.$or.1.$where` or
    /// `pipeline.2.$out`.
    public let path: String
    /// Where the offending key was written in the request (nil for a key the request did not spell out).
    public let position: MongoSourcePosition?

    public init(message: String, statementIndex: Int, line: Int, path: String, position: MongoSourcePosition? = nil) {
        self.message = message
        self.statementIndex = statementIndex
        self.line = line
        self.path = path
        self.position = position
    }

    /// "line 2, column 14", like the parser's errors, or the statement's line when the key has no position.
    public var location: String { position?.description ?? "line \(line)" }

    public var description: String { "statement \(statementIndex + 1) (\(location)), at \(path): \(message)" }
}

/// What a parsed script may do beyond what the parser already refuses (JavaScript literals,
/// `runCommand`, `getSiblingDB`, `drop`, ...): no server-side JavaScript operators anywhere,
/// and no reading from or writing to a database other than the request's.
public enum MongoStatementPolicy {
    /// Operators whose argument is JavaScript the server would execute.
    public static let javaScriptOperators: Set<String> = ["$where", "$function", "$accumulator"]

    /// Throws the first violation in script order. `database` is the database the request
    /// targets; `$out`, `$merge`, `$lookup`, `$graphLookup` and `$unionWith` may name it
    /// explicitly but no other.
    public static func check(_ statements: [MongoStatement], database: String) throws(MongoPolicyViolation) {
        for (index, statement) in statements.enumerated() {
            let inspector = Inspector(database: database)
            for (role, value) in statement.operation.inspectedValues {
                if let found = inspector.firstViolation(in: value, path: role) {
                    throw MongoPolicyViolation(
                        message: found.message, statementIndex: index, line: statement.line, path: found.path, position: found.position)
                }
            }
        }
    }

    /// Walks values depth-first. Recursion is bounded by the parser's nesting limit.
    private struct Inspector {
        let database: String

        func firstViolation(in value: MongoValue, path: String) -> (path: String, message: String, position: MongoSourcePosition?)? {
            switch value {
            case .document(let document):
                for field in document.fields {
                    let fieldPath = "\(path).\(field.key)"
                    if let message = violation(key: field.key, value: field.value) { return (fieldPath, message, field.position) }
                    if let found = firstViolation(in: field.value, path: fieldPath) { return found }
                }
            case .array(let elements):
                for (index, element) in elements.enumerated() {
                    if let found = firstViolation(in: element, path: "\(path).\(index)") { return found }
                }
            default:
                break
            }
            return nil
        }

        private func violation(key: String, value: MongoValue) -> String? {
            if MongoStatementPolicy.javaScriptOperators.contains(key) {
                return "\(key) is not allowed: server-side JavaScript cannot run from QueryGate"
            }
            if let collection = collectionName(stage: key, value: value), collection.hasPrefix("system.") {
                return "\(key) on \(MongoToken.quoted(collection)) is not allowed: system collections hold users, roles and "
                    + "stored JavaScript, never a query's business"
            }
            guard let foreign = foreignDatabase(namespace(named: key, by: value)) else { return nil }
            return "\(key) with another database (\(foreign)) is not allowed; a query may only use its request's "
                + "database \(MongoToken.quoted(database))"
        }

        /// The collection a stage reads or writes, in any of its forms (`"name"`, `{coll: "name"}`,
        /// `{into: "name"}`, `{from: "name"}`), so that system collections stay out of reach from a pipeline too.
        private func collectionName(stage key: String, value: MongoValue) -> String? {
            let target: MongoValue?
            switch key {
            case "$out": target = value
            case "$merge": target = value.documentValue?["into"] ?? value
            case "$lookup", "$graphLookup": target = value.documentValue?["from"]
            case "$unionWith": target = value.documentValue?["coll"] ?? value
            default: return nil
            }
            switch target {
            case .string(let name)?: return name
            case .document(let namespace)?:
                if case .string(let name)? = namespace["coll"] { return name }
                return nil
            default: return nil
            }
        }

        /// The collection a stage reads or writes, when `key` is such a stage. Only a document
        /// form (`{db: ..., coll: ...}`) can name another database.
        private func namespace(named key: String, by value: MongoValue) -> MongoValue? {
            switch key {
            case "$out":
                return value
            case "$merge":
                return value.documentValue?["into"]
            case "$lookup", "$graphLookup":
                return value.documentValue?["from"]
            case "$unionWith":
                guard let body = value.documentValue else { return nil }
                return body["coll"]?.documentValue != nil ? body["coll"] : value
            default:
                return nil
            }
        }

        /// The database a `{db: ..., coll: ...}` namespace names, when it isn't the request's.
        private func foreignDatabase(_ namespace: MongoValue?) -> String? {
            guard let target = namespace?.documentValue?["db"] else { return nil }
            if case .string(let name) = target {
                return name == database ? nil : MongoToken.quoted(name)
            }
            return MongoExtendedJSON.relaxed(target)
        }
    }
}

extension MongoOperation {
    /// Every value a statement sends, labelled by its role for violation paths.
    var inspectedValues: [(role: String, value: MongoValue)] {
        var values: [(role: String, value: MongoValue)] = []
        func add(_ role: String, _ document: MongoDocument?) {
            if let document { values.append((role, .document(document))) }
        }
        func add(_ role: String, _ documents: [MongoDocument]?) {
            if let documents { values.append((role, .array(documents.map(MongoValue.document)))) }
        }
        switch self {
        case .find(let find):
            add("filter", find.filter)
            add("projection", find.projection)
            add("sort", find.sort)
        case .findOne(let filter, let projection):
            add("filter", filter)
            add("projection", projection)
        case .aggregate(let pipeline, let options):
            add("pipeline", pipeline)
            add("options", options)
        case .countDocuments(let filter), .distinct(_, let filter), .deleteOne(let filter), .deleteMany(let filter):
            add("filter", filter)
        case .insertOne(let document):
            add("document", document)
        case .insertMany(let documents):
            add("documents", documents)
        case .updateOne(let update), .updateMany(let update):
            add("filter", update.filter)
            values.append(("update", update.modification.value))
            add("arrayFilters", update.arrayFilters)
            add("collation", update.collation)
            if let hint = update.hint { values.append(("hint", hint)) }
        }
        return values
    }
}
