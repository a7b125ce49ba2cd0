import Foundation
import QueryGateCore

/// Receives the rows of one execution as the engine reads them, one at a time, and keeps what is needed: a
/// preview of the first rows, and the full rows (up to the caps) as a CSV file written as they arrive, so memory
/// stays bounded whatever the result's size.
///
/// The preview and the export are of the last statement that returned rows. Used from one thread only.
public final class ResultCollector {
    let limits: ExecutionLimits
    let exportURL: URL

    private(set) var statements: [ExecutionResult.Statement] = []
    private var columns: [ExecutionResult.Column] = []
    private var previewRows: [[String?]] = []
    private var totalRows = 0
    private var rowsKept = 0
    private var bytesKept = 0
    private var csv: CSVWriter?
    private var hasRows = false

    /// - Parameter exportURL: where the CSV goes; the file is replaced when a later statement returns rows.
    public init(limits: ExecutionLimits, exportURL: URL) {
        self.limits = limits
        self.exportURL = exportURL
    }

    /// A statement that returns rows begins.
    func begin(columns: [ExecutionResult.Column]) throws {
        self.columns = columns
        previewRows = []
        totalRows = 0
        rowsKept = 0
        bytesKept = 0
        hasRows = true
        try csv?.close()
        csv = try CSVWriter(url: exportURL)
        try csv?.write(columns.map(\.name))
    }

    func row(_ values: [String?]) throws {
        totalRows += 1
        let size = values.reduce(0) { $0 + ($1?.utf8.count ?? 0) }
        guard rowsKept < limits.maxRows, bytesKept + size <= limits.maxResultBytes else { return }
        rowsKept += 1
        bytesKept += size
        if previewRows.count < limits.previewRows { previewRows.append(values) }
        try csv?.write(values)
    }

    func end(command: String, rowsAffected: Int?, returnedRows: Bool) {
        statements.append(ExecutionResult.Statement(command: command, rowsAffected: rowsAffected, rowsReturned: returnedRows ? totalRows : nil))
    }

    /// The summary, once the last statement has ended; closes the export.
    func finish(notices: [String], milliseconds: Int) throws -> ExecutionResult {
        try csv?.close()
        let exportBytes = hasRows ? (try? FileManager.default.attributesOfItem(atPath: exportURL.path)[.size] as? Int) ?? nil : nil
        let preview = hasRows ? ExecutionResult.Preview(columns: columns, rows: previewRows, totalRows: totalRows, rowsKept: rowsKept) : nil
        return ExecutionResult(statements: statements, preview: preview, notices: notices, milliseconds: milliseconds, exportBytes: exportBytes)
    }
}

/// RFC 4180 CSV, written through a buffer: fields with a comma, quote or line break are quoted, quotes doubled,
/// lines end in CRLF. NULL is an empty field and the empty string is `""`, so the two stay distinct (as
/// psql's `\copy … csv` writes them).
public final class CSVWriter {
    private let handle: FileHandle
    private var buffer = [UInt8]()
    private static let flushAt = 64 * 1024

    public init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 0)
        buffer.reserveCapacity(Self.flushAt + 4096)
    }

    public func write(_ fields: [String?]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            guard let field else { continue }
            let bytes = field.utf8
            let needsQuotes = field.isEmpty || bytes.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
            if needsQuotes {
                buffer.append(UInt8(ascii: "\""))
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                    buffer.append(byte)
                }
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer.append(contentsOf: bytes)
            }
        }
        buffer.append(13)
        buffer.append(10)
        if buffer.count >= Self.flushAt { try flush() }
    }

    public func close() throws {
        try flush()
        try handle.close()
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
