import Foundation
import QueryGateCore

/// Receives the rows of one execution as the engine reads them, one at a time, and keeps what is needed: a
/// preview of the first rows, and the full rows (up to the caps) in an export file written as they arrive, so
/// memory stays bounded whatever the result's size. The export is CSV unless `format` says otherwise.
///
/// The preview and the export are of the last statement that returned rows. Used from one thread only.
public final class ResultCollector {
    let limits: ExecutionLimits
    let exportURL: URL
    let format: ExportFormat

    private(set) var statements: [ExecutionResult.Statement] = []
    private var columns: [ExecutionResult.Column] = []
    private var previewRows: [[String?]] = []
    private var totalRows = 0
    private var rowsKept = 0
    private var bytesKept = 0
    private var export: (any ExportFileWriter)?
    private var hasRows = false

    /// - Parameter exportURL: where the export goes; the file is replaced when a later statement returns rows.
    public init(limits: ExecutionLimits, exportURL: URL, format: ExportFormat = .csv) {
        self.limits = limits
        self.exportURL = exportURL
        self.format = format
    }

    /// A statement that returns rows begins.
    func begin(columns: [ExecutionResult.Column]) throws {
        self.columns = columns
        previewRows = []
        totalRows = 0
        rowsKept = 0
        bytesKept = 0
        hasRows = true
        try export?.close()
        switch format {
        case .csv:
            let csv = try CSVWriter(url: exportURL)
            try csv.write(columns.map(\.name))
            export = csv
        case .jsonl:
            export = try JSONLinesWriter(url: exportURL)
        }
    }

    /// Counts a row, and keeps it while the caps allow. Returns whether it was kept.
    @discardableResult
    func row(_ values: [String?]) throws -> Bool {
        guard count(size: values.reduce(0) { $0 + ($1?.utf8.count ?? 0) }) else { return false }
        if previewRows.count < limits.previewRows { previewRows.append(values) }
        try export?.write(values)
        return true
    }

    /// Counts a row of `size` bytes of values; whether the caps let it be kept (it is then counted as kept).
    private func count(size: Int) -> Bool {
        totalRows += 1
        guard rowsKept < limits.maxRows, bytesKept + size <= limits.maxResultBytes else { return false }
        rowsKept += 1
        bytesKept += size
        return true
    }

    /// Counts a row that came as a line of `COPY … (FORMAT csv)`, and keeps it while the caps allow, exactly as
    /// `row` would keep its values: the line goes to the CSV export as it is, and only the preview's rows are
    /// decoded.
    @discardableResult
    func copiedRow(_ bytes: UnsafeRawBufferPointer) throws -> Bool {
        let line = CSVLine(bytes: bytes)
        guard let csv = export as? CSVWriter else { return try row(line.fields) }
        guard count(size: line.valueBytes) else { return false }
        if previewRows.count < limits.previewRows { previewRows.append(line.fields) }
        try csv.write(line: line)
        return true
    }

    func end(command: String, rowsAffected: Int?, returnedRows: Bool) {
        statements.append(ExecutionResult.Statement(command: command, rowsAffected: rowsAffected, rowsReturned: returnedRows ? totalRows : nil))
    }

    /// The summary, once the last statement has ended; closes the export.
    func finish(notices: [String], milliseconds: Int) throws -> ExecutionResult {
        try export?.close()
        export = nil
        let exportBytes = hasRows ? (try? FileManager.default.attributesOfItem(atPath: exportURL.path)[.size] as? Int) ?? nil : nil
        let preview = hasRows ? ExecutionResult.Preview(columns: columns, rows: previewRows, totalRows: totalRows, rowsKept: rowsKept) : nil
        return ExecutionResult(statements: statements, preview: preview, notices: notices, milliseconds: milliseconds, exportBytes: exportBytes)
    }
}

/// An export file of one format, written a row at a time.
protocol ExportFileWriter: AnyObject {
    func write(_ fields: [String?]) throws
    func close() throws
}

/// A new file (readable by QueryGate only), written through a buffer.
final class BufferedFile {
    private let handle: FileHandle
    private var buffer = [UInt8]()
    private static let flushAt = 64 * 1024

    init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 0)
        buffer.reserveCapacity(Self.flushAt + 4096)
    }

    func append(_ byte: UInt8) {
        buffer.append(byte)
    }

    func append(contentsOf bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    func flushIfFull() throws {
        if buffer.count >= Self.flushAt { try flush() }
    }

    func close() throws {
        try flush()
        try handle.close()
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// JSON Lines: each row's one value (a document's relaxed Extended JSON) on a line of its own.
final class JSONLinesWriter: ExportFileWriter {
    private let file: BufferedFile

    init(url: URL) throws {
        file = try BufferedFile(url: url)
    }

    func write(_ fields: [String?]) throws {
        file.append(contentsOf: ((fields.first ?? nil) ?? "null").utf8)
        file.append(10)
        try file.flushIfFull()
    }

    func close() throws {
        try file.close()
    }
}

/// RFC 4180 CSV, written through a buffer: fields with a comma, quote or line break are quoted, quotes doubled,
/// lines end in CRLF. NULL is an empty field and the empty string is `""`, so the two stay distinct, and the
/// one field of a line that is `\.` is quoted too, so that it does not read as COPY's end of data: the quoting
/// rules of psql's `\copy … csv`, so that a line COPY writes and one written here are the same.
public final class CSVWriter: ExportFileWriter {
    private let file: BufferedFile

    public init(url: URL) throws {
        file = try BufferedFile(url: url)
    }

    public func write(_ fields: [String?]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { file.append(UInt8(ascii: ",")) }
            guard let field else { continue }
            let bytes = field.utf8
            let needsQuotes = field.isEmpty || (fields.count == 1 && field == "\\.") || bytes.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
            if needsQuotes {
                file.append(UInt8(ascii: "\""))
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") { file.append(byte) }
                    file.append(byte)
                }
                file.append(UInt8(ascii: "\""))
            } else {
                file.append(contentsOf: bytes)
            }
        }
        file.append(13)
        file.append(10)
        try file.flushIfFull()
    }

    /// A line as COPY wrote it, quoted by the same rules, with its `\n` made `\r\n`.
    func write(line: CSVLine) throws {
        file.append(contentsOf: line.content)
        file.append(13)
        file.append(10)
        try file.flushIfFull()
    }

    public func close() throws {
        try file.close()
    }
}
