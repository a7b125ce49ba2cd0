import Crypto
import Foundation
import QueryGateCore

/// One numbered migration file of `Migrations/`, such as `003_hybrid_sync_columns.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    /// The file name without its number and extension: `hybrid_sync_columns`.
    public let name: String
    public let sql: String
    /// SHA-256 of the file's bytes, hex. An applied migration whose file no longer matches is refused.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `003_hybrid_sync_columns`, as operators see it in `Migrations/`.
    public var label: String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 3 - digits.count)) + digits + "_" + name
    }

    /// The statements to run inside the runner's transaction. The files wrap themselves in BEGIN/COMMIT so
    /// that `psql -f` applies them atomically; the runner drops those two, because it opens the transaction
    /// itself (so that its record of the migration commits with it).
    var statementsForRunner: [String] {
        SQLScript.statements(in: sql).filter { !Self.isTransactionControl($0) }
    }

    private static func isTransactionControl(_ statement: String) -> Bool {
        let words = statement.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return ["begin", "begin transaction", "begin work", "start transaction", "commit", "commit transaction",
                "commit work", "end"].contains(words)
    }
}

/// Reads the numbered migrations of a directory.
public enum MigrationDirectory {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The migrations of `directory`, in order. Files that are not `NNN_name.sql` (such as the consolidated
    /// `portal_db_schema.sql` and the sample `target_db_schema.sql`) are not migrations and are left out.
    public static func load(from directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw LoadError(description: "cannot read the migrations directory \(directory.path): \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for fileName in names.sorted() {
            guard let (version, name) = parse(fileName: fileName) else { continue }
            let url = directory.appendingPathComponent(fileName)
            guard let data = FileManager.default.contents(atPath: url.path), let sql = String(data: data, encoding: .utf8) else {
                throw LoadError(description: "cannot read migration \(url.path) as UTF-8 text")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw LoadError(description: "two migrations have version \(version): \(clash.label).sql and \(fileName)")
            }
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        guard !migrations.isEmpty else {
            throw LoadError(description: "no migrations (NNN_name.sql) found in \(directory.path)")
        }
        return migrations.sorted { $0.version < $1.version }
    }

    static func parse(fileName: String) -> (Int, String)? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard digits.count >= 3, digits.allSatisfy(\.isNumber), let version = Int(digits), !name.isEmpty else { return nil }
        return (version, String(name))
    }

    /// Where the migrations are when no setting says: a `Migrations/` folder in the working directory, or beside
    /// (or above) the executable, which finds the checkout's folder under `swift run` and an installed
    /// `share/querygate/Migrations` alike.
    public static func locate(workingDirectory: URL, executablePath: String = CommandLine.arguments[0]) -> URL? {
        var candidates = [workingDirectory]
        var directory = URL(fileURLWithPath: executablePath, relativeTo: workingDirectory).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(directory)
            candidates.append(directory.appendingPathComponent("share/querygate"))
            directory.deleteLastPathComponent()
        }
        return candidates.map { $0.appendingPathComponent("Migrations", isDirectory: true) }.first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("portal_db_schema.sql").path)
        }
    }
}
