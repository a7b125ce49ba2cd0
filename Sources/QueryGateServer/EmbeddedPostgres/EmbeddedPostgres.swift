import Foundation
import Logging
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL server for QueryGate, used when no `PORTAL_DB_*` is configured, so that
/// `querygate serve` works on a laptop with nothing set up but the PostgreSQL server package.
///
/// Its files live under `<data directory>/postgres` and its socket under `<data directory>/run`. It listens
/// on that Unix socket only (no TCP port), and the directories are private to their owner. When we run as
/// root, the server runs as the `postgres` user, because PostgreSQL refuses to run as root.
public struct EmbeddedPostgres: Sendable {
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The database QueryGate keeps its tables in.
    public static let databaseName = "querygate"
    static let superuser = "querygate"

    public let baseDirectory: URL
    public let dataDirectory: URL
    public let socketDirectory: URL
    let binDirectory: URL
    let logger: Logger

    public init(baseDirectory: URL, logger: Logger) throws {
        self.baseDirectory = baseDirectory
        self.dataDirectory = baseDirectory.appendingPathComponent("postgres", isDirectory: true)
        self.socketDirectory = baseDirectory.appendingPathComponent("run", isDirectory: true)
        self.binDirectory = try Self.findBinDirectory()
        self.logger = logger
        // sockaddr_un holds 108 bytes; the socket file is `<dir>/.s.PGSQL.5432`.
        guard socketDirectory.path.utf8.count + 16 < 108 else {
            throw Unavailable(description: "the data directory path \(baseDirectory.path) is too long for a Unix socket; set QUERYGATE_DATA_DIR to a shorter path")
        }
    }

    /// Whether the server is up (ours, or one a previous `querygate` left running).
    public var isRunning: Bool {
        (try? ProcessRunner.run(tool("pg_ctl"), ["status", "-D", dataDirectory.path], as: serverUser)) != nil
    }

    /// Initialises the cluster if it has never been, and starts it unless it is already running.
    ///
    /// - Returns: `true` if this call started the server (and so its caller should stop it).
    public func start() throws -> Bool {
        if !FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            try initialise()
        }
        if isRunning { return false }
        try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try handOver(socketDirectory)
        // The port names the socket file; given explicitly, because the server would otherwise take PGPORT from
        // the environment, and the client would look for the wrong socket.
        let options = "-p 5432 -k \(socketDirectory.path) -c listen_addresses='' -c unix_socket_permissions=0700"
        try ProcessRunner.run(
            tool("pg_ctl"),
            ["start", "-D", dataDirectory.path, "-w", "-t", "60", "-l", dataDirectory.appendingPathComponent("server.log").path, "-o", options],
            as: serverUser)
        logger.info("started the embedded PostgreSQL", metadata: ["data": "\(dataDirectory.path)"])
        return true
    }

    public func stop() throws {
        try ProcessRunner.run(tool("pg_ctl"), ["stop", "-D", dataDirectory.path, "-m", "fast", "-w"], as: serverUser)
        logger.info("stopped the embedded PostgreSQL")
    }

    /// How to reach the server's `querygate` database.
    public var clientConfiguration: PostgresClient.Configuration {
        PostgresClient.Configuration(unixSocketPath: socketPath, username: Self.superuser, password: nil, database: Self.databaseName)
    }

    var socketPath: String { socketDirectory.appendingPathComponent(".s.PGSQL.5432").path
    }

    /// Creates the `querygate` database on first use. CREATE DATABASE cannot run inside a transaction, hence
    /// a separate, short connection to the maintenance database.
    public func createDatabaseIfMissing() async throws {
        let maintenance = PostgresConnection.Configuration(
            unixSocketPath: socketPath, username: Self.superuser, password: nil, database: "postgres")
        let connection = try await PostgresConnection.connect(configuration: maintenance, id: 1, logger: logger)
        do {
            let exists = try await connection.query(
                "SELECT count(*) FROM pg_database WHERE datname = \(Self.databaseName)", logger: logger
            ).decode(Int.self).reduce(0, +) > 0
            if !exists {
                try await connection.query("CREATE DATABASE querygate", logger: logger)
                logger.info("created the embedded database", metadata: ["database": "\(Self.databaseName)"])
            }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    // MARK: - Private

    private func initialise() throws {
        // The whole folder is private: the server's files, and a socket that accepts its owner without a password.
        try FileManager.default.createDirectory(at: baseDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try handOver(baseDirectory)
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try handOver(dataDirectory)
        try ProcessRunner.run(
            tool("initdb"),
            ["-D", dataDirectory.path, "-U", Self.superuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"],
            as: serverUser)
        logger.info("initialised the embedded PostgreSQL", metadata: ["data": "\(dataDirectory.path)"])
    }

    /// Root may not run the server: it runs as `postgres`, which must own its directories.
    private var serverUser: String? { geteuid() == 0 ? "postgres" : nil }

    private func handOver(_ directory: URL) throws {
        guard let user = serverUser else { return }
        try FileManager.default.setAttributes([.ownerAccountName: user], ofItemAtPath: directory.path)
    }

    private func tool(_ name: String) -> URL { binDirectory.appendingPathComponent(name) }

    /// The server binaries are not on PATH on Debian: `pg_config --bindir` says where (it comes with
    /// libpq-dev), else the newest `/usr/lib/postgresql/<major>/bin`.
    static func findBinDirectory() throws -> URL {
        let candidates: [String] =
            [(try? ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/pg_config"), ["--bindir"]))?.trimmingCharacters(in: .whitespacesAndNewlines)]
                .compactMap { $0 }
            + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
                .compactMap { Int($0) }.sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        for path in candidates where FileManager.default.isExecutableFile(atPath: path + "/initdb") {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        throw Unavailable(description:
            "no PORTAL_DB_HOST is set and no PostgreSQL server is installed for the embedded database: "
                + "install one (apt-get install postgresql) or set PORTAL_DB_HOST and friends")
    }
}
