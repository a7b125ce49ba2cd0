import Foundation
import PostgresNIO
import QueryGateCore

extension PortalStore {
    /// Registers a target instance by the names of its credential variables, and audits it.
    @discardableResult
    public func addInstance(_ instance: NewInstance, by actor: AuditActor) async throws -> DatabaseInstance {
        let logger = self.logger
        let (prefix, connectionStringVariable): (String?, String?) =
            switch instance.credentials {
            case .environmentPrefix(let name): (name.rawValue, nil)
            case .connectionStringVariable(let name): (nil, name.rawValue)
            }
        let id = try await translatingUniqueViolations([
            "database_instances_name_key": ValidationError(field: "name", "an instance named '\(instance.name)' already exists")
        ]) {
            try await transaction { connection in
                let id = try await connection.query(
                    """
                    INSERT INTO database_instances (name, type, description, credentials_env_prefix, connection_string_env)
                    VALUES (\(instance.name.rawValue), \(instance.type.rawValue), \(instance.description), \(prefix), \(connectionStringVariable))
                    RETURNING id
                    """,
                    logger: logger
                ).insertedID(into: "database_instances")
                var details = ["name": instance.name.rawValue, "type": instance.type.rawValue]
                details["credentials_env_prefix"] = prefix
                details["connection_string_env"] = connectionStringVariable
                try await Self.appendAudit(
                    AuditEntry(actor: actor, action: .instanceCreated, entityType: "database_instance", entityID: String(id),
                               details: details),
                    on: connection, logger: logger)
                return id
            }
        }
        return DatabaseInstance(id: id, name: instance.name.rawValue, type: instance.type, credentials: instance.credentials,
                                description: instance.description, isActive: true, databaseCount: 0)
    }

    /// Every instance by name, or the one called `name` (none when there is no such instance).
    public func listInstances(named name: String? = nil) async throws -> [DatabaseInstance] {
        let rows = try await client.query(
            """
            SELECT i.id, i.name, i.type, i.credentials_env_prefix, i.connection_string_env, i.description, i.is_active,
                   (SELECT count(*) FROM databases d WHERE d.instance_id = i.id), i.last_sync_at, i.last_sync_status,
                   h.databases_found, h.databases_added, h.databases_reactivated, h.databases_marked_missing, h.databases_skipped
            FROM database_instances i
            LEFT JOIN LATERAL (
                SELECT * FROM database_sync_history WHERE instance_id = i.id AND status IN ('succeeded', 'failed')
                ORDER BY started_at DESC, id DESC LIMIT 1
            ) h ON h.status = 'succeeded'
            WHERE \(name)::text IS NULL OR i.name = \(name)
            ORDER BY i.name
            """,
            logger: logger
        )
        var instances: [DatabaseInstance] = []
        for try await (id, name, type, prefix, connectionStringVariable, description, isActive, count, syncedAt, syncStatus,
                       found, added, reactivated, missing, skipped) in rows.decode(
            (Int, String, String, String?, String?, String?, Bool, Int, Date?, String?, Int?, Int?, Int?, Int?, Int?).self)
        {
            let type = try DatabaseType(portalValue: type, column: "database_instances.type")
            let credentials = try? InstanceCredentials(type: type, environmentPrefix: prefix, connectionStringVariable: connectionStringVariable)
            let counts = found.map {
                SyncCounts(found: $0, added: added ?? 0, reactivated: reactivated ?? 0, markedMissing: missing ?? 0, skipped: skipped ?? 0)
            }
            instances.append(DatabaseInstance(id: id, name: name, type: type, credentials: credentials, description: description,
                                              isActive: isActive, databaseCount: count, lastSyncAt: syncedAt, lastSyncStatus: syncStatus,
                                              lastSyncCounts: counts))
        }
        return instances
    }

    /// Adds a database to an instance by hand (`source = manual`, so a sync never removes it), and audits it.
    @discardableResult
    public func addDatabase(instance: InstanceName, name: DatabaseName, description: String?, by actor: AuditActor) async throws -> TargetDatabase {
        let logger = self.logger
        let description = description.map { $0.trimmingSpaces() }.flatMap { $0.isEmpty ? nil : $0 }
        return try await translatingUniqueViolations([
            "databases_instance_name_key": ValidationError(field: "name", "instance '\(instance)' already has a database named '\(name)'")
        ]) {
            try await transaction { connection in
                let found = try await connection.query(
                    "SELECT id, type FROM database_instances WHERE name = \(instance.rawValue)", logger: logger
                ).decode((Int, String).self).first { _ in true }
                guard let (instanceID, type) = found else {
                    throw ValidationError.noInstance(named: instance)
                }
                let id = try await connection.query(
                    """
                    INSERT INTO databases (instance_id, name, description, source)
                    VALUES (\(instanceID), \(name.rawValue), \(description), 'manual')
                    RETURNING id
                    """,
                    logger: logger
                ).insertedID(into: "databases")
                try await Self.appendAudit(
                    AuditEntry(actor: actor, action: .databaseCreated, entityType: "database", entityID: String(id),
                               details: ["instance": instance.rawValue, "name": name.rawValue]),
                    on: connection, logger: logger)
                return TargetDatabase(id: id, instanceName: instance.rawValue, instanceType: try DatabaseType(portalValue: type, column: "database_instances.type"),
                                      name: name.rawValue, description: description, source: "manual", isActive: true)
            }
        }
    }

    /// Databases as `<instance>/<database>`, optionally of one instance.
    public func listDatabases(instance: InstanceName? = nil) async throws -> [TargetDatabase] {
        let rows = try await client.query(
            """
            SELECT d.id, i.name, i.type, d.name, d.description, d.source, d.is_active AND i.is_active, d.missing_since IS NOT NULL
            FROM databases d JOIN database_instances i ON i.id = d.instance_id
            WHERE \(instance?.rawValue)::text IS NULL OR i.name = \(instance?.rawValue)
            ORDER BY i.name, d.name
            """,
            logger: logger
        )
        return try await Self.targetDatabasesWithSyncState(rows)
    }

    /// Decodes rows of (id, instance name, instance type, name, description, source, active).
    static func targetDatabases(_ rows: PostgresRowSequence) async throws -> [TargetDatabase] {
        var databases: [TargetDatabase] = []
        for try await (id, instanceName, type, name, description, source, isActive) in rows.decode(
            (Int, String, String, String, String?, String, Bool).self)
        {
            databases.append(TargetDatabase(id: id, instanceName: instanceName, instanceType: try DatabaseType(portalValue: type, column: "database_instances.type"),
                                            name: name, description: description, source: source, isActive: isActive))
        }
        return databases
    }

    /// Decodes rows of (id, instance name, instance type, name, description, source, active, missing).
    static func targetDatabasesWithSyncState(_ rows: PostgresRowSequence) async throws -> [TargetDatabase] {
        var databases: [TargetDatabase] = []
        for try await (id, instanceName, type, name, description, source, isActive, isMissing) in rows.decode(
            (Int, String, String, String, String?, String, Bool, Bool).self)
        {
            databases.append(TargetDatabase(id: id, instanceName: instanceName, instanceType: try DatabaseType(portalValue: type, column: "database_instances.type"),
                                            name: name, description: description, source: source, isActive: isActive, isMissing: isMissing))
        }
        return databases
    }
}
