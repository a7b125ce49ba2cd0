/// A MongoDB request as QueryGate checks it: at submission (so that an approver never sees what would be refused)
/// and for the approval message's risk section.
public enum MongoRequest {
    /// The statements of a request on `database`, or a `ValidationError` on `query` that says what is wrong and
    /// where (line and column), or which operator is refused.
    public static func validate(_ text: String, type: SubmissionType, database: String) throws(ValidationError) -> [MongoStatement] {
        let statements: [MongoStatement]
        do {
            statements = try MongoShellParser.parse(text)
        } catch {
            throw ValidationError(field: "query", "\(error)")
        }
        if type == .query, statements.count != 1 {
            throw ValidationError(
                field: "query",
                "this is \(statements.count) statements, and a query is one: send it as a script (`/query script …`, or Kind: Script in the form) to run them in order")
        }
        do {
            try MongoStatementPolicy.check(statements, database: database)
        } catch {
            // Located as the parser's own errors are: "line 1, column 17: $where is not allowed…".
            let statement = statements.count > 1 ? "statement \(error.statementIndex + 1), " : ""
            throw ValidationError(field: "query", "\(statement)\(error.location): \(error.message)")
        }
        return statements
    }
}

extension RiskAnalysis {
    /// Classifies a request's text for its database type.
    public static func assess(_ text: String, on type: DatabaseType) -> RiskAssessment {
        switch type {
        case .postgresql: assess(sql: text)
        case .mongodb: assess(mongo: text)
        }
    }

    /// Classifies a MongoDB request: reads, writes, and writes that reach every document of a collection.
    public static func assess(mongo text: String) -> RiskAssessment {
        guard let statements = try? MongoShellParser.parse(text), !statements.isEmpty else {
            return RiskAssessment(level: .write, warnings: ["the request could not be parsed"])
        }
        var level = RiskAssessment.Level.readOnly
        var warnings: [String] = []
        for (index, statement) in statements.enumerated() {
            let label = statements.count > 1 ? "statement \(index + 1): " : ""
            if !statement.isReadOnly { level = max(level, .write) }
            switch statement.operation {
            case .deleteMany(let filter) where filter.isEmpty:
                level = .dangerous
                warnings.append(label + "deleteMany with an empty filter removes every document of \(statement.collection)")
            case .updateMany(let update) where update.filter.isEmpty:
                level = .dangerous
                warnings.append(label + "updateMany with an empty filter changes every document of \(statement.collection)")
            case .aggregate(let pipeline, _):
                for stage in pipeline {
                    if let target = stage["$out"] ?? stage["$merge"] {
                        level = max(level, .write)
                        warnings.append(label + "the aggregation writes its result into \(MongoExtendedJSON.relaxed(target))")
                    }
                }
            default:
                break
            }
        }
        if statements.count > 1, level != .readOnly {
            warnings.append("MongoDB runs a script statement by statement, not as one transaction: if one fails, the writes before it stay")
        }
        return RiskAssessment(level: level, warnings: warnings)
    }
}
