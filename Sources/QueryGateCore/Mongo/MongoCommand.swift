/// Limits the engine adds to every command, whatever the user wrote.
public struct MongoCommandOptions: Sendable, Equatable {
    /// Server-side time limit for every command, reads and writes: insert, update and delete accept `maxTimeMS`
    /// as find does (MongoDB's command reference; through mongos only since 5.0, SERVER-46187).
    public var maxTimeMS: Int?
    /// Size of the first batch of find and aggregate cursors.
    public var batchSize: Int?

    public init(maxTimeMS: Int? = nil, batchSize: Int? = nil) {
        self.maxTimeMS = maxTimeMS
        self.batchSize = batchSize
    }
}

public enum MongoWriteKind: String, Sendable, Equatable {
    case insert, update, delete
}

/// How to read the server's reply to a command.
public enum MongoReplyShape: Sendable, Equatable {
    /// `{cursor: {id, ns, firstBatch}}`: read `firstBatch`, then `getMore` while `id` is not 0.
    case cursor
    /// The number of matching documents is in this field (`n` for the count command).
    case count(field: String)
    /// The distinct values are an array in this field (`values` for the distinct command).
    case distinct(field: String)
    /// `{n, nModified?, upserted?, writeErrors?, writeConcernError?}`.
    case write(MongoWriteKind)
}

/// A database command document, ready for `mongoc_database_command_with_opts` (or a
/// cursor), and the shape of its reply.
public struct MongoCommand: Sendable, Equatable {
    /// The command; its first key is the command name, as the server requires.
    public let document: MongoDocument
    public let reply: MongoReplyShape

    public init(document: MongoDocument, reply: MongoReplyShape) {
        self.document = document
        self.reply = reply
    }

    public var name: String { document.keys.first ?? "" }
}

extension MongoStatement {
    /// The command that performs this statement. `maxTimeMS` applies to every command; `batchSize` to
    /// cursors only.
    public func command(options: MongoCommandOptions = MongoCommandOptions()) -> MongoCommand {
        let collection = MongoValue.string(self.collection)
        let maxTimeMS = options.maxTimeMS.map { Self.integer(Int64($0)) }
        let batchSize = options.batchSize.map { Self.integer(Int64($0)) }
        var document = MongoDocument()
        switch operation {
        case .find(let find):
            document.append("find", collection)
            document.append("filter", .document(find.filter))
            document.append("projection", ifPresent: find.projection.map(MongoValue.document))
            document.append("sort", ifPresent: find.sort.map(MongoValue.document))
            document.append("skip", ifPresent: find.skip.map(Self.integer))
            document.append("limit", ifPresent: find.limit.map(Self.integer))
            document.append("batchSize", ifPresent: batchSize)
            document.append("maxTimeMS", ifPresent: maxTimeMS)
            return MongoCommand(document: document, reply: .cursor)
        case .findOne(let filter, let projection):
            document.append("find", collection)
            document.append("filter", .document(filter))
            document.append("projection", ifPresent: projection.map(MongoValue.document))
            document.append("limit", 1)
            document.append("singleBatch", true)
            document.append("maxTimeMS", ifPresent: maxTimeMS)
            return MongoCommand(document: document, reply: .cursor)
        case .aggregate(let pipeline, let userOptions):
            document.append("aggregate", collection)
            document.append("pipeline", .array(pipeline.map(MongoValue.document)))
            document.append("cursor", .document(batchSize.map { ["batchSize": $0] } ?? [:]))
            for field in userOptions.fields { document.append(field.key, field.value) }
            document.append("maxTimeMS", ifPresent: maxTimeMS)
            return MongoCommand(document: document, reply: .cursor)
        case .countDocuments(let filter):
            document.append("count", collection)
            document.append("query", .document(filter))
            document.append("maxTimeMS", ifPresent: maxTimeMS)
            return MongoCommand(document: document, reply: .count(field: "n"))
        case .distinct(let field, let filter):
            document.append("distinct", collection)
            document.append("key", .string(field))
            document.append("query", .document(filter))
            document.append("maxTimeMS", ifPresent: maxTimeMS)
            return MongoCommand(document: document, reply: .distinct(field: "values"))
        case .insertOne(let inserted):
            return Self.insert(collection, [inserted]).limited(to: maxTimeMS)
        case .insertMany(let inserted):
            return Self.insert(collection, inserted).limited(to: maxTimeMS)
        case .updateOne(let update):
            return Self.update(collection, update, multi: false).limited(to: maxTimeMS)
        case .updateMany(let update):
            return Self.update(collection, update, multi: true).limited(to: maxTimeMS)
        case .deleteOne(let filter):
            return Self.delete(collection, filter, limit: 1).limited(to: maxTimeMS)
        case .deleteMany(let filter):
            return Self.delete(collection, filter, limit: 0).limited(to: maxTimeMS)
        }
    }

    /// Numbers the engine supplies are int32 when they fit, like mongosh's.
    private static func integer(_ value: Int64) -> MongoValue {
        MongoValue(integerLiteral: value)
    }

    private static func insert(_ collection: MongoValue, _ documents: [MongoDocument]) -> MongoCommand {
        MongoCommand(
            document: [
                "insert": collection, "documents": .array(documents.map(MongoValue.document)), "ordered": true,
            ], reply: .write(.insert))
    }

    private static func update(_ collection: MongoValue, _ update: MongoUpdateOperation, multi: Bool) -> MongoCommand {
        var statement: MongoDocument = [
            "q": .document(update.filter), "u": update.modification.value, "multi": .bool(multi),
        ]
        statement.append("upsert", ifPresent: update.upsert.map(MongoValue.bool))
        statement.append("arrayFilters", ifPresent: update.arrayFilters.map { .array($0.map(MongoValue.document)) })
        statement.append("collation", ifPresent: update.collation.map(MongoValue.document))
        statement.append("hint", ifPresent: update.hint)
        return MongoCommand(
            document: ["update": collection, "updates": [.document(statement)]], reply: .write(.update))
    }

    private static func delete(_ collection: MongoValue, _ filter: MongoDocument, limit: Int32) -> MongoCommand {
        MongoCommand(
            document: ["delete": collection, "deletes": [["q": .document(filter), "limit": .int32(limit)]]],
            reply: .write(.delete))
    }
}

extension MongoCommand {
    /// The same command with the server-side time limit, when there is one.
    fileprivate func limited(to maxTimeMS: MongoValue?) -> MongoCommand {
        var document = self.document
        document.append("maxTimeMS", ifPresent: maxTimeMS)
        return MongoCommand(document: document, reply: reply)
    }
}
