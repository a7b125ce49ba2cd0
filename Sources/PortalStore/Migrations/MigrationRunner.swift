import Foundation
import Logging
import PostgresNIO

/// Applies the numbered migrations to the portal database, once each, in order.
///
/// - Each migration runs in its own transaction together with the row that records it (version, checksum,
///   time) in `querygate_migrations`, so a migration is either applied and recorded, or neither.
/// - A session-level advisory lock serialises runners: two replicas starting at once apply each migration once;
///   the second finds nothing left to do.
/// - An applied migration whose file has changed, or disappeared, stops the run before anything is applied:
///   history is never rewritten, changes go into a new migration.
public struct MigrationRunner: Sendable {
    /// The bookkeeping table. Not part of the migrations themselves, so that the consolidated schema and the
    /// numbered history describe the same ten tables.
    static let table = "querygate_migrations"
    /// An arbitrary, fixed key for `pg_advisory_lock`: ASCII "QGMIGRAT".
    static let lockKey: Int64 = 0x5147_4D49_4752_4154

    public struct Applied: Sendable {
        public let migration: Migration
        public let milliseconds: Int
    }

    public enum State: Sendable, Equatable {
        case applied(at: Date)
        case pending
        /// Recorded as applied with another checksum than its file has now.
        case changed(appliedAt: Date)
        /// Recorded as applied, but no file has its version any more.
        case missingFile(appliedAt: Date)
    }

    public struct Status: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let state: State
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Applies the pending `migrations` and returns them, in order; an empty result means the database was
    /// already up to date.
    public func migrate(_ migrations: [Migration]) async throws -> [Applied] {
        let logger = self.logger
        return try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await Self.applyPending(migrations, on: connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// Every migration known to the files or to the database, with its state.
    public func status(of migrations: [Migration]) async throws -> [Status] {
        let records = try await client.withConnection { connection in
            try await Self.records(on: connection, logger: self.logger)
        }
        var statuses = migrations.map { migration in
            guard let record = records[migration.version] else {
                return Status(version: migration.version, name: migration.name, state: .pending)
            }
            let state: State = record.checksum == migration.checksum ? .applied(at: record.appliedAt) : .changed(appliedAt: record.appliedAt)
            return Status(version: migration.version, name: migration.name, state: state)
        }
        let known = Set(migrations.map(\.version))
        for record in records.values where !known.contains(record.version) {
            statuses.append(Status(version: record.version, name: record.name, state: .missingFile(appliedAt: record.appliedAt)))
        }
        return statuses.sorted { $0.version < $1.version }
    }

    // MARK: - Steps

    private struct Record: Sendable {
        let version: Int
        let name: String
        let checksum: String
        let appliedAt: Date
    }

    private static func applyPending(_ migrations: [Migration], on connection: PostgresConnection, logger: Logger) async throws -> [Applied] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS querygate_migrations (
                version      INTEGER PRIMARY KEY,
                name         TEXT NOT NULL,
                checksum     TEXT NOT NULL,
                applied_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
                execution_ms INTEGER NOT NULL
            )
            """,
            logger: logger
        )
        let records = try await records(on: connection, logger: logger)
        try verifyHistory(records, against: migrations)

        var applied: [Applied] = []
        for migration in migrations where records[migration.version] == nil {
            let started = ContinuousClock.now
            try await connection.query("BEGIN", logger: logger)
            do {
                for (index, statement) in migration.statementsForRunner.enumerated() {
                    do {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    } catch {
                        throw MigrationError.statementFailed(migration: migration.label, statement: index + 1, reason: describe(error))
                    }
                }
                let milliseconds = Int(started.duration(to: .now) / .milliseconds(1))
                try await connection.query(
                    """
                    INSERT INTO querygate_migrations (version, name, checksum, execution_ms)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(milliseconds))
                    """,
                    logger: logger
                )
                try await connection.query("COMMIT", logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(migration.label)", "ms": "\(milliseconds)"])
                applied.append(Applied(migration: migration, milliseconds: milliseconds))
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
        return applied
    }

    private static func records(on connection: PostgresConnection, logger: Logger) async throws -> [Int: Record] {
        let exists = try await connection.query("SELECT to_regclass('querygate_migrations') IS NOT NULL", logger: logger)
            .decode(Bool.self).reduce(false) { $0 || $1 }
        guard exists else { return [:] }
        var records: [Int: Record] = [:]
        let rows = try await connection.query(
            "SELECT version, name, checksum, applied_at FROM querygate_migrations ORDER BY version", logger: logger)
        for try await (version, name, checksum, appliedAt) in rows.decode((Int, String, String, Date).self) {
            records[version] = Record(version: version, name: name, checksum: checksum, appliedAt: appliedAt)
        }
        return records
    }

    private static func verifyHistory(_ records: [Int: Record], against migrations: [Migration]) throws {
        let files = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in records.values.sorted(by: { $0.version < $1.version }) {
            guard let file = files[record.version] else {
                throw MigrationError.missingFile(version: record.version, name: record.name)
            }
            guard file.checksum == record.checksum else {
                throw MigrationError.changed(migration: file.label, recorded: record.checksum, found: file.checksum)
            }
        }
    }
}

/// Why a migration run stopped. Nothing of the failing migration is left applied.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case changed(migration: String, recorded: String, found: String)
    case missingFile(version: Int, name: String)
    case statementFailed(migration: String, statement: Int, reason: String)
    /// `serve` found pending migrations and was told not to apply them.
    case pendingWithoutAutoMigrate([String])
    case changedOrMissing(label: String)

    public var description: String {
        switch self {
        case .changed(let migration, let recorded, let found):
            "migration \(migration) was applied with checksum \(recorded.prefix(12))…, but its file now has \(found.prefix(12))…: "
                + "an applied migration must never change. Restore the file and put the change in a new migration."
        case .missingFile(let version, let name):
            "migration \(version) (\(name)) is recorded as applied, but no file in the migrations directory has that version: "
                + "is this an older QueryGate than the database?"
        case .statementFailed(let migration, let statement, let reason):
            "migration \(migration) failed at statement \(statement) and was rolled back: \(reason)"
        case .pendingWithoutAutoMigrate(let names):
            "the portal database has \(names.count) pending migration(s) (\(names.joined(separator: ", "))) and "
                + "QUERYGATE_AUTO_MIGRATE is false: back it up with pg_dump, then run `querygate migrate`"
        case .changedOrMissing(let label):
            "migration \(label) has changed or lost its file since it was applied (see the list above)"
        }
    }
}

extension PortalStore {
    /// A PostgreSQL error as one line, for logs: the server's message and SQLSTATE, or the client's error.
    public static func errorDescription(_ error: any Error) -> String { PortalStore_describe(error) }
}

/// A PostgreSQL error as one line: the server's message and SQLSTATE, or the client's error.
func describe(_ error: any Error) -> String { PortalStore_describe(error) }

private func PortalStore_describe(_ error: any Error) -> String {
    if let transactionError = error as? PostgresTransactionError {
        return PortalStore_describe(transactionError.closureError ?? transactionError.beginError ?? transactionError.commitError ?? error)
    }
    if let error = error as? PSQLError {
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        // A client-side error: its code and cause, where it was raised; never the query, whose binds may be secret.
        var text = "PostgreSQL client error \(error.code)"
        if let underlying = error.underlying { text += ": \(underlying)" }
        if let file = error.file { text += " (at \(file):\(error.line ?? 0))" }
        return text
    }
    return String(describing: error)
}
