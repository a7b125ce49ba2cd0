/// Why a mongosh script could not be parsed, and where.
///
/// Positions count `Character`s (grapheme clusters), so a column matches what the user sees
/// in Slack even when the script contains emoji or combining accents.
public struct MongoParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// Characters from the start of the script to the offending token; equals the script's
    /// length when the problem is an unexpected end of input.
    public let offset: Int
    /// 1-based.
    public let line: Int
    /// 1-based.
    public let column: Int

    public init(message: String, offset: Int, line: Int, column: Int) {
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// Locates `offset` in `source` to fill in the line and column.
    init(_ message: String, at offset: Int, in source: MongoSourceText) {
        let position = source.position(of: offset)
        self.init(message: message, offset: offset, line: position.line, column: position.column)
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// The script as an array of characters, so tokens can refer to positions by integer offset.
struct MongoSourceText: Sendable {
    let characters: [Character]
    /// Offset of the first character of each line, for finding a line by binary search:
    /// a script of many statements must not rescan from the start for each one.
    private let lineStarts: [Int]

    init(_ source: String) {
        characters = Array(source)
        var lineStarts = [0]
        // `"\r\n"` is one `Character`, so Windows line endings count as one line break.
        for (index, character) in characters.enumerated() where character.isNewline {
            lineStarts.append(index + 1)
        }
        self.lineStarts = lineStarts
    }

    var count: Int { characters.count }

    /// 1-based line and column of the character at `offset` (or of the end of the script).
    func position(of offset: Int) -> (line: Int, column: Int) {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return (low + 1, offset - lineStarts[low] + 1)
    }

    func text(_ range: Range<Int>) -> String { String(characters[range]) }

    /// "line 2, column 5", for messages that refer to another token, such as an unclosed brace.
    func describePosition(of offset: Int) -> String {
        let position = position(of: offset)
        return "line \(position.line), column \(position.column)"
    }
}
