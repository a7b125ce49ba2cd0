import Logging

/// The request a piece of work is about, for the logs: set around the work (`RequestLogContext.$requestID`), every
/// line logged inside it, by any logger, carries `request=<id>` (the logging system's metadata provider reads it),
/// so that one request's lines can be found together, whichever module wrote them.
public enum RequestLogContext {
    @TaskLocal public static var requestID: Int?

    public static let metadataProvider = Logger.MetadataProvider {
        requestID.map { ["request": "\($0)"] } ?? [:]
    }
}
