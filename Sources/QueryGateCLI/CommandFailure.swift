import PortalStore
import PostgresNIO
import QueryGateCore
import QueryGateServer

/// An error as an operator should read it: one line that says what to do, and an exit status.
struct CommandFailure {
    let message: String
    let exitCode: Int32

    /// The exit statuses of sysexits.h, so scripts can tell a typo from an outage.
    static let dataError: Int32 = 65
    static let unavailable: Int32 = 69
    static let software: Int32 = 70
    static let temporaryFailure: Int32 = 75
    static let configuration: Int32 = 78

    init(_ error: any Error) {
        switch error {
        case let error as ConfigurationError:
            (message, exitCode) = (error.description, Self.configuration)
        case let error as ValidationError:
            (message, exitCode) = (error.message, Self.dataError)
        case let error as MigrationError:
            (message, exitCode) = (error.description, Self.software)
        case let error as MigrationDirectory.LoadError:
            (message, exitCode) = (error.description, Self.configuration)
        case let error as EmbeddedPostgres.Unavailable:
            (message, exitCode) = (error.description, Self.unavailable)
        case let error as PSQLError:
            (message, exitCode) = Self.describe(error)
        default:
            (message, exitCode) = ("\(error)", Self.software)
        }
    }

    private static func describe(_ error: PSQLError) -> (String, Int32) {
        if let state = error.serverInfo?[.sqlState] {
            let text = error.serverInfo?[.message] ?? "server error"
            if state == "42P01" {
                return ("the portal database has no QueryGate tables yet (\(text)): run `querygate migrate`", software)
            }
            if state.hasPrefix("28") || state == "3D000" {
                return ("the portal database refused the connection: \(text) (check the PORTAL_DB_* settings)", configuration)
            }
            return ("the portal database answered: \(text) (SQLSTATE \(state))", software)
        }
        if error.code == .connectionError || error.code == .serverClosedConnection {
            let reason = error.underlying.map { " (\($0))" } ?? ""
            return ("cannot reach the portal database\(reason): is it running, and are PORTAL_DB_HOST and PORTAL_DB_PORT right?", unavailable)
        }
        return ("portal database error: \(error.code)", software)
    }
}
