import QueryGateCore
import Testing

@Suite("Splitting SQL scripts into statements")
struct SQLScriptTests {
    @Test func splitsOnSemicolonsAndTrims() {
        #expect(SQLScript.statements(in: "SELECT 1;\n  SELECT 2 ;\nSELECT 3") == ["SELECT 1", "SELECT 2", "SELECT 3"])
    }

    @Test func semicolonsInsideQuotesDoNotSplit() {
        let script = """
            INSERT INTO t VALUES ('a;b', 'it''s; fine');
            SELECT "odd;name" FROM t;
            SELECT E'back\\'slash;';
            SELECT 2
            """
        #expect(SQLScript.statements(in: script) == [
            "INSERT INTO t VALUES ('a;b', 'it''s; fine')",
            "SELECT \"odd;name\" FROM t",
            "SELECT E'back\\'slash;'",
            "SELECT 2",
        ])
    }

    @Test func dollarQuotedBodiesStayWhole() {
        let script = """
            CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;
            DO $body$ BEGIN PERFORM 1; PERFORM $$x;$$; END $body$;
            SELECT $1::int;
            """
        #expect(SQLScript.statements(in: script) == [
            "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql",
            "DO $body$ BEGIN PERFORM 1; PERFORM $$x;$$; END $body$",
            "SELECT $1::int",
        ])
    }

    @Test func commentsDoNotSplitAndCommentOnlyStatementsVanish() {
        let script = """
            -- a comment; with a semicolon
            SELECT 1; /* block; /* nested; */ still comment; */ SELECT 2;
            -- trailing comment only;
            """
        #expect(SQLScript.statements(in: script) == [
            "-- a comment; with a semicolon\nSELECT 1",
            "/* block; /* nested; */ still comment; */ SELECT 2",
        ])
    }

    @Test func anUnterminatedQuoteKeepsTheRestAsOneStatement() {
        #expect(SQLScript.statements(in: "SELECT 'open; SELECT 2;") == ["SELECT 'open; SELECT 2;"])
    }

    @Test func statementsKnowWhereTheyStartInTheScript() {
        let statements = SQLScript.parse("SELECT 1;\n  -- c\n  SELECT 'é'; SELECT 3")
        #expect(statements.map(\.offset) == [0, 12, 31])
        #expect(statements[1].text == "-- c\n  SELECT 'é'")
    }

    @Test func unicodeEscapedNamesAreDecoded() {
        var names: [String] = []
        for statement in SQLScript.parse(#"SELECT U&"d\0061t\+000061", U&"x!0079z" UESCAPE '!', "a""b""#) {
            names = statement.tokens.compactMap { if case .quotedIdentifier(let name) = $0.kind { name } else { nil } }
        }
        #expect(names == ["data", "xyz", "a\"b"])
    }

    @Test func onlyASCIILettersAreFoldedAndEveryCharacterSurvives() {
        // As the server folds unquoted names: `ß`, `é` and `Ω` keep their case; the statement's text keeps every
        // character, of one to four bytes in UTF-8.
        #expect(SQLScript.words(in: "select straße, café, Ωmega, x$1 from 𝔱able") == ["SELECT", "STRAßE", "CAFé", "ΩMEGA", "X$1", "FROM", "𝔱ABLE"])
        #expect(SQLScript.statements(in: "  SELECT 'ä€𝔱' AS straße ;select 2") == ["SELECT 'ä€𝔱' AS straße", "select 2"])
    }
}
