import Foundation
import QueryGateCore

/// Receives the documents of one MongoDB execution as the cursor yields them and keeps what is needed: a preview
/// of the first documents as relaxed Extended JSON, and every document (up to the caps) in a JSON Lines file
/// written as they arrive. When every document kept is flat (no nested document or array), a CSV of them is
/// written beside it at the end (`csvURL`), with a column per field in the order the fields first appeared.
/// Like `ResultCollector`, the preview and the exports are of the last statement that returned documents. Used
/// from one thread only.
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
    /// The fields seen so far, in order, while every document kept is flat; nil once one is not.
    private var flatColumns: [String]? = []
    private var seenColumns: Set<String> = []

    init(limits: ExecutionLimits, exportURL: URL) {
        self.limits = limits
        self.exportURL = exportURL
    }

    var csvURL: URL { exportURL.deletingPathExtension().appendingPathExtension(ExportFormat.csv.rawValue) }

    /// A statement that returns documents begins; the export starts over.
    func begin() throws {
        previewRows = []
        totalRows = 0
        rowsKept = 0
        bytesKept = 0
        hasRows = true
        flatColumns = []
        seenColumns = []
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
        noteColumns(of: value)
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
        try? FileManager.default.removeItem(at: csvURL)
        if hasRows, rowsKept > 0, let columns = flatColumns, !columns.isEmpty { try writeCSV(columns: columns) }
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

    private func noteColumns(of value: MongoValue) {
        guard flatColumns != nil else { return }
        guard case .document(let document) = value, !document.fields.contains(where: { $0.value.isContainer }) else {
            flatColumns = nil
            return
        }
        for key in document.keys where seenColumns.insert(key).inserted { flatColumns?.append(key) }
    }

    /// Reads the JSON Lines export back a line at a time (memory stays bounded) and writes each document as a CSV
    /// row; a field a document lacks is an empty cell. Should a line not read back, there is no CSV at all.
    private func writeCSV(columns: [String]) throws {
        let csv = try CSVWriter(url: csvURL)
        try csv.write(columns)
        let reader = try FileHandle(forReadingFrom: exportURL)
        defer { try? reader.close() }
        var pending: [UInt8] = []
        var complete = true
        func emit(_ line: ArraySlice<UInt8>) throws {
            guard complete, !line.isEmpty else { return }
            guard case .document(let document)? = try? MongoShellParser.parseValue(String(decoding: line, as: UTF8.self)) else {
                complete = false
                return
            }
            // A null is an empty field, as a missing field is; the empty string is "" (as for PostgreSQL's NULL).
            try csv.write(columns.map { key in document[key].flatMap { $0 == .null ? nil : MongoExtendedJSON.cellText($0) } })
        }
        while let data = try reader.read(upToCount: 64 * 1024), !data.isEmpty {
            pending.append(contentsOf: data)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 10) {
                try emit(pending[start..<newline])
                start = newline + 1
            }
            pending.removeSubrange(..<start)
        }
        try emit(pending[...])
        try csv.close()
        if !complete { try? FileManager.default.removeItem(at: csvURL) }
    }
}
