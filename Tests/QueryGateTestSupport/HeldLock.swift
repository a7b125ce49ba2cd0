import PostgresNIO

/// A lock another session takes and holds until `release()`: what makes the portal database slow in a test.
public struct HeldLock {
    private let holder: Task<Void, any Error>
    private let done: AsyncStream<Void>.Continuation

    public static func take(_ statement: PostgresQuery, on client: PostgresClient) async throws -> HeldLock {
        let (locked, taken) = AsyncStream.makeStream(of: Void.self)
        let (releasing, done) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await client.withTransaction(logger: AppHarness.quietLogger) { connection in
                try await connection.query(statement, logger: AppHarness.quietLogger)
                taken.yield()
                for await _ in releasing { break }
            }
        }
        for await _ in locked { break }
        return HeldLock(holder: holder, done: done)
    }

    public func release() async throws {
        done.yield()
        try await holder.value
    }
}
