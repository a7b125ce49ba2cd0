/// Left-aligned columns for listings, as `psql` and `kubectl` print them.
enum TextTable {
    static func render(_ header: [String], _ rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }
    }

    static func print(_ header: [String], _ rows: [[String]], to output: any CommandOutput, empty: String) {
        guard !rows.isEmpty else {
            output.line(empty)
            return
        }
        render(header, rows).forEach(output.line)
    }
}
