import Logging
import PostgresNIO
import QueryGateCore

/// The portal database: QueryGate's own PostgreSQL, reached through a pooled `PostgresClient`.
///
/// The client must be running (`client.run()` in a task, or as a service of the application) while the
/// store is used. Every statement binds its values through `PostgresQuery` interpolation.
public struct PortalStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// Rung by what queues outbox rows without NOTIFY (the submission), heard by this store's outbox wake-ups.
    let localOutboxWakeUps = LocalWakeUps()
    /// Where submissions queue while others are on their way, to go together (migrations 018, 019).
    let submissions: SubmissionBatcher<SubmissionValues, SubmitStatement.Row>

    public init(client: PostgresClient, logger: Logger) {
        self.init(client: client, logger: logger, batching: .measured)
    }

    init(client: PostgresClient, logger: Logger, batching: SubmissionBatching) {
        self.client = client
        self.logger = logger
        self.submissions = Self.submissionBatcher(client: client, logger: logger, batching: batching)
    }

    /// Runs `body` in a transaction and rethrows the error that caused a rollback as itself, not wrapped in
    /// `PostgresTransactionError`, so callers can tell a validation error from a lost connection.
    ///
    /// Under a `PortalDeadline` (the Slack and API request paths), the transaction's statements get the time left as
    /// `statement_timeout`, and it rolls back rather than commit once the deadline has passed or its task was
    /// cancelled: a person told "nothing was recorded" is never contradicted by a commit a moment later.
    func transaction<Result: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        let deadline = PortalDeadline.current
        let logger = self.logger
        do {
            let result = try await client.withTransaction(logger: logger) { connection in
                if let deadline {
                    guard let left = deadline.remaining, !Task.isCancelled else { throw PortalUnavailable.nothingRecorded }
                    try await connection.query("SELECT set_config('statement_timeout', \(String(left.serverMilliseconds)), true)", logger: logger)
                }
                let result = try await body(connection)
                if let deadline, deadline.remaining == nil || Task.isCancelled { throw PortalUnavailable.nothingRecorded }
                return result
            }
            deadline?.recordCommit()
            return result
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    /// Runs `body`, one statement that is its own transaction, under the caller's deadline as `transaction` runs a
    /// transaction: it is not sent once the deadline has passed, and it is given the milliseconds left (nil
    /// without a deadline), which the portal's functions honour (`querygate_apply_decision`: its lock waits end by
    /// then and it refuses to commit after; submissions do the same through `SubmissionBatcher`, which sends them
    /// for many callers at once). A statement answered counts as a commit for `PortalDeadline`,
    /// unless `wrote` says its result changed nothing (a decision that found the request moved on): then a later
    /// failure can still truthfully say nothing was recorded.
    func inOneStatement<Result: Sendable>(
        wrote: (Result) -> Bool = { _ in true }, _ body: @Sendable (Int?) async throws -> Result
    ) async throws -> Result {
        let deadline = PortalDeadline.current
        var millisecondsLeft: Int?
        if let deadline {
            guard let left = deadline.remaining, !Task.isCancelled else { throw PortalUnavailable.nothingRecorded }
            millisecondsLeft = left.serverMilliseconds
        }
        let result = try await body(millisecondsLeft)
        if wrote(result) { deadline?.recordCommit() }
        return result
    }

    /// `true` when the database answers a trivial query within `timeout`; what `/readyz` reports. A probe must
    /// answer quickly even when the database hangs or is unreachable, hence the deadline.
    public func isReachable(within timeout: Duration = .seconds(2)) async -> Bool {
        let client = self.client
        let logger = self.logger
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    for try await _ in try await client.query("SELECT 1", logger: logger) {}
                    return true
                } catch {
                    logger.warning("portal database unreachable", metadata: ["error": "\(describe(error))"])
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let answer = await group.next() ?? false
            group.cancelAll()
            return answer
        }
    }
}

extension PSQLError {
    /// The constraint a unique violation (SQLSTATE 23505) broke, or nil for any other error.
    var violatedUniqueConstraint: String? {
        guard serverInfo?[.sqlState] == "23505" else { return nil }
        return serverInfo?[.constraintName]
    }
}

/// Turns the unique violations listed in `messages` (constraint name → error) into validation errors: the
/// constraint, not a look-up before the insert, is what decides a race between two administrators.
func translatingUniqueViolations<Result>(
    _ messages: [String: ValidationError], _ body: () async throws -> Result
) async throws -> Result {
    do {
        return try await body()
    } catch let error as PSQLError {
        if let constraint = error.violatedUniqueConstraint, let message = messages[constraint] { throw message }
        throw error
    }
}
