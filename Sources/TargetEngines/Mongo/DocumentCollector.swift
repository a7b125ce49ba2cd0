import Foundation
import QueryGateCore

/// The `ResultCollector` of a MongoDB execution: each document is a one-column row, its relaxed Extended JSON,
/// so the preview shows documents and the export is JSON Lines. When every document kept is flat (no nested
/// document or array), a CSV of them is written at the end too (to `csvURL`), with a column per field in the
/// order the fields first appeared. Used from one thread only.
final class DocumentCollector {
    static let column = ExecutionResult.Column(name: "document", type: "json")

    private let rows: ResultCollector
    private let csvURL: URL
    private var flat = MongoFlatColumns()

    init(limits: ExecutionLimits, exportURL: URL, csvURL: URL) {
        rows = ResultCollector(limits: limits, exportURL: exportURL, format: .jsonl)
        self.csvURL = csvURL
    }

    /// A statement that returns documents begins; the exports start over.
    func begin() throws {
        flat = MongoFlatColumns()
        try rows.begin(columns: [Self.column])
    }

    func document(_ value: MongoValue) throws {
        if try rows.row([MongoExtendedJSON.relaxed(value)]) { flat.note(value) }
    }

    /// `command` says what the statement did (`find on orders`, `updateMany on orders: 3 matched, 2 modified`).
    func end(command: String, rowsAffected: Int?, returnedRows: Bool) {
        rows.end(command: command, rowsAffected: rowsAffected, returnedRows: returnedRows)
    }

    func finish(milliseconds: Int) throws -> ExecutionResult {
        let result = try rows.finish(notices: [], milliseconds: milliseconds)
        try? FileManager.default.removeItem(at: csvURL)
        if let preview = result.preview, preview.rowsKept > 0, let columns = flat.columns, !columns.isEmpty {
            try writeCSV(columns: columns)
        }
        return result
    }

    /// Reads the JSON Lines export back a line at a time (memory stays bounded) and writes each document as a CSV
    /// row; a field a document lacks is an empty cell. Should a line not read back, there is no CSV at all.
    private func writeCSV(columns: [String]) throws {
        let csv = try CSVWriter(url: csvURL)
        try csv.write(columns)
        let reader = try FileHandle(forReadingFrom: rows.exportURL)
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
