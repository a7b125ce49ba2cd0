import QueryGateCore
import Testing

/// The rule the executor and the Slack reply share: what a preview shows, and so whether the full result is uploaded.
@Suite("What a result's preview shows")
struct PreviewRuleTests {
    static func preview(_ values: [String?], kept: Int? = nil, column: String = "value") -> ExecutionResult.Preview {
        ExecutionResult.Preview(columns: [ExecutionResult.Column(name: column, type: "text")], rows: values.map { [$0] },
                                totalRows: kept ?? values.count, rowsKept: kept ?? values.count)
    }

    /// Whether the thread shows every kept row whole decides whether the full result is uploaded beside it.
    @Test func aPreviewIsWholeOnlyWhenNoRowIsLeftOutAndNoValueCut() {
        let short = Self.preview(["a", nil, "b"])
        #expect(PreviewRule.showsWhole(short, databaseType: .postgresql))
        #expect(PreviewRule.showsWhole(short, databaseType: .mongodb))
        #expect(!PreviewRule.showsWhole(Self.preview(["a", "b"], kept: 3), databaseType: .postgresql), "a kept row is not shown")
        // A PostgreSQL value is whole in Slack's table up to 500 characters; a MongoDB document whole while the
        // documents fit five sections, none split.
        let forty = String(repeating: "x", count: 40)
        #expect(PreviewRule.showsWhole(Self.preview([forty]), databaseType: .postgresql))
        #expect(!PreviewRule.showsWhole(Self.preview([String(repeating: "x", count: 501)]), databaseType: .postgresql))
        #expect(PreviewRule.showsWhole(Self.preview([String(repeating: "x", count: 111)]), databaseType: .mongodb))
        #expect(!PreviewRule.showsWhole(Self.preview([String(repeating: "x", count: 3000)]), databaseType: .mongodb))
        #expect(!PreviewRule.showsWhole(Self.preview(Array(repeating: String(repeating: "x", count: 1400), count: 12)), databaseType: .mongodb))
    }

    /// Too many columns for Slack's table: whole still when psql's table shows every row and column, no value cut.
    @Test func aWideResultIsWholeInTheMonospaceTableWhileNothingIsCut() {
        let columns = "abcdefghijklmnopqrstu".map { ExecutionResult.Column(name: String($0), type: "integer") }
        func wide(_ first: String) -> ExecutionResult.Preview {
            ExecutionResult.Preview(columns: columns, rows: [[first] + Array(repeating: "0", count: 20)], totalRows: 1, rowsKept: 1)
        }
        #expect(PreviewRule.tableCells(wide("1")) == nil, "21 columns do not fit Slack's table")
        #expect(PreviewRule.showsWhole(wide("1"), databaseType: .postgresql))
        #expect(!PreviewRule.showsWhole(wide(String(repeating: "x", count: 31)), databaseType: .postgresql), "a value cut at 30 characters")
    }

    /// What Slack counts is the escaped text: `&` takes five characters of a section.
    @Test func theBudgetCountsMarkupEscapes() {
        #expect(PreviewRule.escape("a < b && c > d") == "a &lt; b &amp;&amp; c &gt; d")
        #expect(PreviewRule.showsWhole(Self.preview([String(repeating: "a", count: 1000)]), databaseType: .mongodb))
        #expect(!PreviewRule.showsWhole(Self.preview([String(repeating: "&", count: 1000)]), databaseType: .mongodb))
    }

    /// The table's cells: the header first, NULL and the empty string told apart, line breaks shown.
    @Test func tableCellsSayNullEmptyAndLineBreaks() {
        let cells = PreviewRule.tableCells(Self.preview([nil, "", "two\nlines"]))
        #expect(cells == [["value"], ["NULL"], ["''"], ["two↵lines"]])
        #expect(PreviewRule.tableCells(Self.preview(Array(repeating: "x", count: 99))) != nil, "99 rows and the header")
        #expect(PreviewRule.tableCells(Self.preview(Array(repeating: "x", count: 100))) == nil, "100 rows and the header")
    }
}
