/// One line of CSV as PostgreSQL's `COPY … (FORMAT csv)` writes it (and as `CSVWriter` does): fields separated by
/// commas; a quoted field's quotes doubled inside; an unquoted empty field is NULL, `""` the empty string; the
/// line ends in `\n`, and line breaks inside quoted fields are data.
struct CSVLine {
    let bytes: UnsafeRawBufferPointer

    /// The line without its terminating `\n`.
    var content: UnsafeRawBufferPointer {
        bytes.last == 10 ? UnsafeRawBufferPointer(rebasing: bytes.dropLast()) : bytes
    }

    /// The bytes of its values, as `ResultCollector` counts them against the result's cap (quotes, doubled
    /// quotes and separators left out), without decoding a value.
    var valueBytes: Int {
        let content = self.content
        var count = 0
        var quoted = false
        var index = content.startIndex
        while index < content.endIndex {
            let byte = content[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < content.endIndex, content[index + 1] == UInt8(ascii: "\"") {
                        count += 1
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    count += 1
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte != UInt8(ascii: ",") {
                count += 1
            }
            index += 1
        }
        return count
    }

    /// Its values, NULL as `nil`.
    var fields: [String?] {
        var fields: [String?] = []
        var field: [UInt8] = []
        var quoted = false
        var wasQuoted = false
        let content = self.content
        var index = content.startIndex
        func close() {
            fields.append(field.isEmpty && !wasQuoted ? nil : String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        while index < content.endIndex {
            let byte = content[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < content.endIndex, content[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
                wasQuoted = true
            } else if byte == UInt8(ascii: ",") {
                close()
            } else {
                field.append(byte)
            }
            index += 1
        }
        close()
        return fields
    }
}
