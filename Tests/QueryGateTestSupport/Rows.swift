import PostgresNIO

/// Small reads for assertions.
public enum Rows {
    public static func count(_ table: String, in database: TestDatabase) async throws -> Int {
        // The table name is one of this file's literals.
        try await database.client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).decode(Int.self).reduce(0, +)
    }

    public static func strings(_ sql: String, in database: TestDatabase) async throws -> [String] {
        try await database.client.query(PostgresQuery(unsafeSQL: sql)).decode(String.self).reduce(into: []) { $0.append($1) }
    }
}
