import Foundation
import PostgresNIO
import QueryGateCore

/// Execution is claimed, not pushed (docs/architecture.md, "A request's path"): a worker takes an approved request
/// with `FOR UPDATE SKIP LOCKED`, marks it `executing` under its own id with a lease it renews, and records the
/// outcome only while it still holds the request. Any number of gateway processes can share the portal database;
/// none runs a request twice, and none re-runs one whose worker vanished.
extension PortalStore {
    /// An approved request claimed by a worker, with what it needs to run.
    public struct ClaimedRequest: Sendable, Equatable {
        public let id: Int
        public let submissionType: SubmissionType
        public let queryText: String
        public let databaseName: String
        public let databaseType: DatabaseType
        /// The instance's credentials reference, or why it is unusable (the request then fails with that reason).
        public let credentials: Result<InstanceCredentials, ExecutionFailure>

        public init(id: Int, submissionType: SubmissionType, queryText: String, databaseName: String, databaseType: DatabaseType,
                    credentials: Result<InstanceCredentials, ExecutionFailure>) {
            self.id = id
            self.submissionType = submissionType
            self.queryText = queryText
            self.databaseName = databaseName
            self.databaseType = databaseType
            self.credentials = credentials
        }
    }

    /// The channel LISTEN/NOTIFY wakes executors on when a request is approved.
    public static let executorChannel = "querygate_executor"

    /// Claims the oldest approved request for `executorID`, or returns nil when none waits.
    public func claimApproved(executorID: String, lease: Duration) async throws -> ClaimedRequest? {
        let logger = self.logger
        return try await transaction { connection -> ClaimedRequest? in
            let claimed = try await connection.query(
                """
                UPDATE query_requests SET status = \(RequestStatus.executing.rawValue), executor_id = \(executorID),
                       lease_expires_at = now() + make_interval(secs => \(lease.timeInterval)), execution_started_at = now(), updated_at = now()
                WHERE id = (SELECT id FROM query_requests WHERE status = \(RequestStatus.approved.rawValue)
                            ORDER BY approved_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id
                """,
                logger: logger
            ).decode(Int.self).first { _ in true }
            guard let id = claimed else { return nil }
            let row = try await connection.query(
                """
                SELECT r.submission_type, r.query_text, d.name, i.type, i.credentials_env_prefix, i.connection_string_env
                FROM query_requests r JOIN databases d ON d.id = r.database_id JOIN database_instances i ON i.id = d.instance_id
                WHERE r.id = \(id)
                """,
                logger: logger
            ).decode((String, String, String, String, String?, String?).self).first { _ in true }
            guard let (type, text, database, instanceType, prefix, connectionVariable) = row else {
                throw UnexpectedPortalState("request \(id) was claimed but its database or instance row is gone")
            }
            try await Self.appendAudit(
                AuditEntry(actor: Self.executorActor(executorID), action: .executionStarted, entityType: "query_request",
                           entityID: String(id), details: [:]),
                on: connection, logger: logger)
            try await Self.enqueueApprovalUpdate(requestID: id, on: connection, logger: logger)
            // What cannot run is claimed anyway and fails with the reason, rather than run as something it is not.
            let submissionType = try SubmissionType(portalValue: type, column: "query_requests.submission_type")
            let databaseType = try DatabaseType(portalValue: instanceType, column: "database_instances.type")
            let credentials: Result<InstanceCredentials, ExecutionFailure>
            do throws(ValidationError) {
                credentials = .success(try InstanceCredentials(type: databaseType, environmentPrefix: prefix, connectionStringVariable: connectionVariable))
            } catch {
                credentials = .failure(ExecutionFailure(message: "the instance's credentials are misconfigured (\(error.message)): an admin must fix it"))
            }
            return ClaimedRequest(
                id: id, submissionType: submissionType, queryText: text, databaseName: database, databaseType: databaseType,
                credentials: credentials)
        }
    }

    /// Extends the lease of a request this worker runs; false if it no longer holds it.
    public func renewLease(requestID: Int, executorID: String, lease: Duration) async throws -> Bool {
        try await client.query(
            """
            UPDATE query_requests SET lease_expires_at = now() + make_interval(secs => \(lease.timeInterval))
            WHERE id = \(requestID) AND status = \(RequestStatus.executing.rawValue) AND executor_id = \(executorID)
            RETURNING id
            """,
            logger: logger
        ).decode(Int.self).first { _ in true } != nil
    }

    /// Queues an update of a running request's approval message, so that it shows how long the run has lasted
    /// (it renders "running for 45 s" when delivered). Coalesced: nothing is queued while an earlier update of this
    /// request is still undelivered, so a slow or rate-limiting Slack gets one row per request, not a pile.
    ///
    /// - Returns: whether a row was queued.
    @discardableResult
    public func enqueueProgressUpdate(requestID: Int) async throws -> Bool {
        try await transaction { [logger] connection in
            let queued = try await connection.query(
                """
                INSERT INTO slack_notifications (request_id, notification_type, recipient, parent_id, payload)
                SELECT a.request_id, 'approval_update', a.recipient, a.id, '{"progress": "running"}'::jsonb
                FROM slack_notifications a JOIN query_requests r ON r.id = a.request_id
                WHERE a.request_id = \(requestID) AND a.notification_type = 'approval_request' AND r.status = 'executing'
                  AND NOT EXISTS (
                      SELECT 1 FROM slack_notifications u
                      WHERE u.request_id = \(requestID) AND u.notification_type = 'approval_update' AND u.status = 'pending')
                ORDER BY a.id LIMIT 1
                RETURNING id
                """,
                logger: logger
            ).decode(Int.self).first { _ in true } != nil
            if queued { try await connection.query("SELECT pg_notify(\(Self.outboxChannel), '')", logger: logger) }
            return queued
        }
    }

    /// Records how the request ended, with its audit row, the approval message's update, the reply in its thread,
    /// the exports to upload (the full result, one file per format) and the requester's direct message, in one
    /// transaction.
    ///
    /// - Returns: false when this worker no longer held the request (its lease expired and it was declared
    ///   interrupted); nothing is recorded then.
    @discardableResult
    public func recordOutcome(
        requestID: Int, executorID: String, outcome: ExecutionOutcome, exports: [ExportFormat: URL] = [:]
    ) async throws -> Bool {
        let logger = self.logger
        let summary = String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self)
        let (status, failure): (RequestStatus, ExecutionFailure?) =
            switch outcome {
            case .completed: (.completed, nil)
            case .failed(let failure): (.failed, failure)
            }
        return try await transaction { connection in
            let updated = try await connection.query(
                """
                UPDATE query_requests SET status = \(status.rawValue), execution_finished_at = now(), lease_expires_at = NULL,
                       result_summary = \(summary)::jsonb, error_message = \(failure?.message), error_sqlstate = \(failure?.sqlState),
                       error_position = \(failure?.position), updated_at = now()
                WHERE id = \(requestID) AND status = \(RequestStatus.executing.rawValue) AND executor_id = \(executorID)
                RETURNING id
                """,
                logger: logger
            ).decode(Int.self).first { _ in true }
            guard updated != nil else { return false }
            var details: [String: String] = [:]
            details["sqlstate"] = failure?.sqlState
            try await Self.appendAudit(
                AuditEntry(actor: Self.executorActor(executorID), action: status == .completed ? .executionCompleted : .executionFailed,
                           entityType: "query_request",
                           entityID: String(requestID), details: details),
                on: connection, logger: logger)
            for (format, file) in exports {
                try await Self.storeExport(file, as: format, of: requestID, on: connection, logger: logger)
            }
            try await Self.enqueueOutcomeNotifications(requestID: requestID, withFile: !exports.isEmpty, event: status == .completed ? .completed : .failed,
                                                       on: connection, logger: logger)
            return true
        }
    }

    /// Declares every request whose worker's lease has expired `failed` as interrupted, with notifications. Such
    /// a request may or may not have been applied, so it is never run again by itself.
    ///
    /// - Returns: the ids of the requests declared interrupted.
    @discardableResult
    public func failInterruptedRequests() async throws -> [Int] {
        let logger = self.logger
        let summary = String(decoding: try JSONEncoder().encode(ExecutionOutcome.failed(.interrupted)), as: UTF8.self)
        return try await transaction { connection in
            let ids = try await connection.query(
                """
                UPDATE query_requests SET status = \(RequestStatus.failed.rawValue), execution_finished_at = now(), result_summary = \(summary)::jsonb,
                       error_message = \(ExecutionFailure.interrupted.message), updated_at = now()
                WHERE status = \(RequestStatus.executing.rawValue) AND lease_expires_at < now()
                RETURNING id
                """,
                logger: logger
            ).decode(Int.self).reduce(into: [Int]()) { $0.append($1) }
            for id in ids {
                try await Self.appendAudit(
                    AuditEntry(actor: .system, action: .executionInterrupted, entityType: "query_request", entityID: String(id), details: [:]),
                    on: connection, logger: logger)
                try await Self.enqueueOutcomeNotifications(requestID: id, withFile: false, event: .failed, on: connection, logger: logger)
            }
            return ids
        }
    }

    static func executorActor(_ executorID: String) -> AuditActor {
        AuditActor(userID: nil, label: "executor:\(executorID)", source: .system)
    }

    private static func enqueueOutcomeNotifications(
        requestID: Int, withFile: Bool, event: RequestEvent, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await enqueueApprovalUpdate(requestID: requestID, on: connection, logger: logger)
        if let (parentID, channel) = try await approvalMessage(of: requestID, on: connection, logger: logger) {
            try await enqueue(.resultReply, requestID: requestID, recipient: channel, parentID: parentID, on: connection, logger: logger)
            if withFile {
                try await enqueue(.resultFile, requestID: requestID, recipient: channel, parentID: parentID, on: connection, logger: logger)
            }
        }
        try await enqueueDirectMessage(requestID: requestID, event: event, on: connection, logger: logger)
    }

    // MARK: - Exports

    /// Chunk size of stored exports: small enough to hold in memory, large enough to keep rows few.
    static let exportChunkSize = 1024 * 1024

    private static func storeExport(
        _ file: URL, as format: ExportFormat, of requestID: Int, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var sequence = 0
        while let data = try handle.read(upToCount: exportChunkSize), !data.isEmpty {
            let chunk = ByteBuffer(bytes: data)
            try await connection.query(
                "INSERT INTO query_result_exports (request_id, format, seq, data) VALUES (\(requestID), \(format.rawValue), \(sequence), \(chunk))",
                logger: logger)
            sequence += 1
        }
    }

    /// A stored export file: its format, size in bytes and number of chunks.
    public struct StoredExport: Sendable, Equatable {
        public let format: ExportFormat
        public let bytes: Int
        public let chunks: Int

        public init(format: ExportFormat, bytes: Int, chunks: Int) {
            self.format = format
            self.bytes = bytes
            self.chunks = chunks
        }
    }

    /// The request's stored export files, JSON Lines before CSV (none when there is nothing to upload).
    public func exports(of requestID: Int) async throws -> [StoredExport] {
        let rows = try await client.query(
            """
            SELECT format, sum(length(data))::bigint, count(*) FROM query_result_exports WHERE request_id = \(requestID)
            GROUP BY format ORDER BY format DESC
            """,
            logger: logger)
        var files: [StoredExport] = []
        for try await (format, bytes, chunks) in rows.decode((String, Int, Int).self) {
            guard let format = ExportFormat(rawValue: format) else { continue }
            files.append(StoredExport(format: format, bytes: bytes, chunks: chunks))
        }
        return files
    }

    /// One chunk of a stored export, read on its own so that an upload streams it.
    public func exportChunk(of requestID: Int, format: ExportFormat, sequence: Int) async throws -> ByteBuffer? {
        try await client.query(
            "SELECT data FROM query_result_exports WHERE request_id = \(requestID) AND format = \(format.rawValue) AND seq = \(sequence)",
            logger: logger
        ).decode(ByteBuffer.self).first { _ in true }
    }

    /// Forgets the exports once Slack has them.
    public func deleteExport(of requestID: Int) async throws {
        try await client.query("DELETE FROM query_result_exports WHERE request_id = \(requestID)", logger: logger)
    }
}
