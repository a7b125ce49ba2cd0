import Foundation
import QueryGateCore

/// Receives the documents of one MongoDB execution as the cursor yields them and keeps what is needed: a preview
/// of the first documents as relaxed Extended JSON, and every document (up to the caps) in a JSON Lines file
/// written as they arrive. Like `ResultCollector`, the preview and the export are of the last statement that
/// returned documents. Used from one thread only.
final class DocumentCollector {
    static let column = ExecutionResult.Column(name: "document", type: "json")

    let limits: ExecutionLimits
    let exportURL: URL

    private(set) var statements: [ExecutionResult.Statement] = []
    private var previewRows: [[String?]] = []
    private var totalRows = 0
    private var rowsKept = 0
    private var bytesKept = 0
    private var file: FileHandle?
    private var buffer: [UInt8] = []
    private var hasRows = false

    init(limits: ExecutionLimits, exportURL: URL) {
        self.limits = limits
        self.exportURL = exportURL
    }

    /// A statement that returns documents begins; the export starts over.
    func begin() throws {
        previewRows = []
        totalRows = 0
        rowsKept = 0
        bytesKept = 0
        hasRows = true
        try close()
        guard FileManager.default.createFile(atPath: exportURL.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: exportURL.path])
        }
        file = try FileHandle(forWritingTo: exportURL)
    }

    func document(_ value: MongoValue) throws {
        totalRows += 1
        let line = MongoExtendedJSON.relaxed(value)
        guard rowsKept < limits.maxRows, bytesKept + line.utf8.count <= limits.maxResultBytes else { return }
        rowsKept += 1
        bytesKept += line.utf8.count
        if previewRows.count < limits.previewRows { previewRows.append([line]) }
        buffer.append(contentsOf: line.utf8)
        buffer.append(10)
        if buffer.count >= 64 * 1024 { try flush() }
    }

    /// `command` says what the statement did (`find on orders`, `updateMany on orders: 3 matched, 2 modified`).
    func end(command: String, rowsAffected: Int?, returnedRows: Bool) {
        statements.append(ExecutionResult.Statement(command: command, rowsAffected: rowsAffected, rowsReturned: returnedRows ? totalRows : nil))
    }

    func finish(milliseconds: Int) throws -> ExecutionResult {
        try close()
        let exportBytes = hasRows ? (try? FileManager.default.attributesOfItem(atPath: exportURL.path)[.size] as? Int) ?? nil : nil
        let preview = hasRows
            ? ExecutionResult.Preview(columns: [Self.column], rows: previewRows, totalRows: totalRows, rowsKept: rowsKept) : nil
        return ExecutionResult(statements: statements, preview: preview, notices: [], milliseconds: milliseconds, exportBytes: exportBytes)
    }

    private func flush() throws {
        guard let file, !buffer.isEmpty else { return }
        try file.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func close() throws {
        try flush()
        try file?.close()
        file = nil
    }
}
