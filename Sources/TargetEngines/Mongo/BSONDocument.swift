import CLibMongoc
import QueryGateCore

/// A libbson document owned by Swift: built from a `MongoDocument`, or received from the driver, and read back
/// as one. Debian's libbson aligns `bson_t` to 128 bytes, which Swift's stack does not honour, so every `bson_t`
/// and `bson_iter_t` here lives in memory allocated with that alignment.
final class BSONDocument {
    static let alignment = 128
    static let storageSize = 128

    let pointer: OpaquePointer
    private let storage: UnsafeMutableRawPointer
    /// Set when the driver took the document over (a cursor's reply): it destroys it; only the memory is ours.
    private var handedOver = false

    /// An empty document, initialised for the driver to fill (an out-parameter such as a command's reply).
    init() {
        storage = UnsafeMutableRawPointer.allocate(byteCount: Self.storageSize, alignment: Self.alignment)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: Self.storageSize)
        pointer = OpaquePointer(storage)
        bson_init(pointer)
    }

    convenience init(_ document: MongoDocument) {
        self.init()
        for field in document.fields {
            Self.append(field.value, key: field.key, to: pointer)
        }
    }

    deinit {
        if !handedOver { bson_destroy(pointer) }
        storage.deallocate()
    }

    func handOver() {
        handedOver = true
    }

    /// Runs `body` with the `bson_t`, keeping this object (and so the document) alive until it returns: Swift
    /// may otherwise release it right after `pointer` is read, before the C call that uses it.
    @discardableResult
    func withPointer<Result, Failure: Error>(_ body: (OpaquePointer) throws(Failure) -> Result) throws(Failure) -> Result {
        try withExtendedLifetime(self) { () throws(Failure) -> Result in try body(pointer) }
    }

    /// The document as Swift values.
    var document: MongoDocument {
        Self.read(pointer)
    }

    // MARK: - Swift to BSON

    private static func append(_ value: MongoValue, key: String, to parent: OpaquePointer) {
        let length = Int32(key.utf8.count)
        switch value {
        case .double(let number): bson_append_double(parent, key, length, number)
        case .string(let text): bson_append_utf8(parent, key, length, text, Int32(text.utf8.count))
        case .document(let document):
            let child = BSONDocument(document)
            child.withPointer { bson_append_document(parent, key, length, $0) }
        case .array(let values):
            let child = BSONDocument()
            child.withPointer { array in
                for (index, element) in values.enumerated() { append(element, key: String(index), to: array) }
                bson_append_array(parent, key, length, array)
            }
        case .binary(let subtype, let bytes):
            bson_append_binary(parent, key, length, bson_subtype_t(UInt32(subtype)), bytes, UInt32(bytes.count))
        case .objectId(let id):
            var oid = bson_oid_t()
            withUnsafeMutableBytes(of: &oid.bytes) { buffer in buffer.copyBytes(from: id.bytes) }
            bson_append_oid(parent, key, length, &oid)
        case .bool(let flag): bson_append_bool(parent, key, length, flag)
        case .date(let milliseconds): bson_append_date_time(parent, key, length, milliseconds)
        case .null: bson_append_null(parent, key, length)
        case .regex(let pattern, let options): bson_append_regex(parent, key, length, pattern, options)
        case .int32(let number): bson_append_int32(parent, key, length, number)
        case .int64(let number): bson_append_int64(parent, key, length, number)
        case .decimal128(let text):
            var decimal = bson_decimal128_t()
            // The parser checked the syntax; libbson's own check is the last word (NaN on failure).
            _ = bson_decimal128_from_string(text, &decimal)
            bson_append_decimal128(parent, key, length, &decimal)
        case .timestamp(let seconds, let increment): bson_append_timestamp(parent, key, length, seconds, increment)
        case .minKey: bson_append_minkey(parent, key, length)
        case .maxKey: bson_append_maxkey(parent, key, length)
        }
    }

    // MARK: - BSON to Swift

    static func read(_ document: OpaquePointer) -> MongoDocument {
        withIterator { iterator in
            guard bson_iter_init(iterator, document) else { return MongoDocument() }
            return readFields(iterator)
        }
    }

    private static func readFields(_ iterator: OpaquePointer) -> MongoDocument {
        var document = MongoDocument()
        while bson_iter_next(iterator) {
            document.append(String(cString: bson_iter_key(iterator)), value(at: iterator))
        }
        return document
    }

    private static func value(at iterator: OpaquePointer) -> MongoValue {
        switch bson_iter_type(iterator) {
        case BSON_TYPE_DOUBLE: return .double(bson_iter_double(iterator))
        case BSON_TYPE_UTF8:
            var length: UInt32 = 0
            guard let text = bson_iter_utf8(iterator, &length) else { return .null }
            return .string(String(decoding: UnsafeRawBufferPointer(start: text, count: Int(length)), as: UTF8.self))
        case BSON_TYPE_SYMBOL:
            var length: UInt32 = 0
            guard let text = bson_iter_symbol(iterator, &length) else { return .null }
            return .string(String(decoding: UnsafeRawBufferPointer(start: text, count: Int(length)), as: UTF8.self))
        case BSON_TYPE_DOCUMENT:
            return .document(children(of: iterator))
        case BSON_TYPE_ARRAY:
            return .array(children(of: iterator).fields.map(\.value))
        case BSON_TYPE_BINARY:
            var subtype = bson_subtype_t(0)
            var length: UInt32 = 0
            var bytes: UnsafePointer<UInt8>?
            bson_iter_binary(iterator, &subtype, &length, &bytes)
            return .binary(subtype: UInt8(truncatingIfNeeded: subtype.rawValue), bytes: Array(UnsafeBufferPointer(start: bytes, count: Int(length))))
        case BSON_TYPE_OID:
            guard let oid = bson_iter_oid(iterator) else { return .null }
            let bytes = withUnsafeBytes(of: oid.pointee.bytes) { Array($0) }
            return MongoObjectID(bytes: bytes).map(MongoValue.objectId) ?? .null
        case BSON_TYPE_BOOL: return .bool(bson_iter_bool(iterator))
        case BSON_TYPE_DATE_TIME: return .date(millisecondsSinceEpoch: bson_iter_date_time(iterator))
        case BSON_TYPE_REGEX:
            var options: UnsafePointer<CChar>?
            let pattern = bson_iter_regex(iterator, &options)
            return .regex(pattern: pattern.map { String(cString: $0) } ?? "", options: options.map { String(cString: $0) } ?? "")
        case BSON_TYPE_INT32: return .int32(bson_iter_int32(iterator))
        case BSON_TYPE_INT64: return .int64(bson_iter_int64(iterator))
        case BSON_TYPE_DECIMAL128:
            var decimal = bson_decimal128_t()
            guard bson_iter_decimal128(iterator, &decimal) else { return .null }
            var text = [CChar](repeating: 0, count: Int(BSON_DECIMAL128_STRING))
            bson_decimal128_to_string(&decimal, &text)
            return .decimal128(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        case BSON_TYPE_TIMESTAMP:
            var seconds: UInt32 = 0
            var increment: UInt32 = 0
            bson_iter_timestamp(iterator, &seconds, &increment)
            return .timestamp(seconds: seconds, increment: increment)
        case BSON_TYPE_MINKEY: return .minKey
        case BSON_TYPE_MAXKEY: return .maxKey
        case BSON_TYPE_CODE, BSON_TYPE_CODEWSCOPE:
            // Stored JavaScript is shown as its text; QueryGate never runs it.
            var length: UInt32 = 0
            var scopeLength: UInt32 = 0
            var scope: UnsafePointer<UInt8>?
            let code = bson_iter_type(iterator) == BSON_TYPE_CODE
                ? bson_iter_code(iterator, &length) : bson_iter_codewscope(iterator, &length, &scopeLength, &scope)
            guard let code else { return .null }
            return .string(String(decoding: UnsafeRawBufferPointer(start: code, count: Int(length)), as: UTF8.self))
        default:
            return .null
        }
    }

    private static func children(of iterator: OpaquePointer) -> MongoDocument {
        withIterator { child in
            guard bson_iter_recurse(iterator, child) else { return MongoDocument() }
            return readFields(child)
        }
    }

    private static func withIterator<Result>(_ body: (OpaquePointer) -> Result) -> Result {
        // bson_iter_t is 80 bytes on Debian's libbson; twice its size keeps a margin for other builds.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: alignment)
        defer { raw.deallocate() }
        return body(OpaquePointer(raw))
    }
}
