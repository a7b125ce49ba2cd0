import Foundation

/// Idle connections per target: a few kept for the next request, closed once idle too long.
actor ConnectionCache {
    private var idle: [PostgresTargetSettings: [LibPQConnection]] = [:]
    let idleTimeout: Duration
    let maximumIdlePerTarget: Int

    init(idleTimeout: Duration, maximumIdlePerTarget: Int) {
        self.idleTimeout = idleTimeout
        self.maximumIdlePerTarget = maximumIdlePerTarget
    }

    func take(_ settings: PostgresTargetSettings) -> LibPQConnection? {
        closeExpired()
        return idle[settings]?.popLast()
    }

    func put(_ connection: LibPQConnection) {
        closeExpired()
        guard connection.isHealthy, idle[connection.settings, default: []].count < maximumIdlePerTarget else {
            connection.close()
            return
        }
        connection.lastUsed = .now
        idle[connection.settings, default: []].append(connection)
    }

    func closeAll() {
        idle.values.joined().forEach { $0.close() }
        idle = [:]
    }

    private func closeExpired() {
        let now = ContinuousClock.now
        for (settings, connections) in idle {
            let (expired, fresh) = (connections.filter { now - $0.lastUsed > idleTimeout }, connections.filter { now - $0.lastUsed <= idleTimeout })
            expired.forEach { $0.close() }
            idle[settings] = fresh
        }
    }
}
