import Foundation
import Logging
import Synchronization

/// One JSON object per log line (`QUERYGATE_LOG_FORMAT=json`), for log collectors: `ts`, `level`, `label`,
/// `message`, `source`, and every metadata key at the top level (so `request` is a field wherever a line is about
/// a request). Keys QueryGate's metadata might share with those five go under `metadata` instead.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable (String) -> Void

    /// Lines go to standard error, whole: one write per line, under a lock, so lines of two threads never mix.
    public static func standardError(label: String, metadataProvider: Logger.MetadataProvider? = nil) -> JSONLogHandler {
        JSONLogHandler(label: label, metadataProvider: metadataProvider) { line in
            standardErrorLock.withLock { _ in
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
    }

    private static let standardErrorLock = Mutex(())
    /// 2026-12-02T06:20:01.123Z: UTC, to the millisecond.
    private static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let reserved: Set<String> = ["ts", "level", "label", "message", "source"]
        var fields: [String: Any] = [
            "ts": Date().formatted(Self.timestamp),
            "level": event.level.rawValue, "label": label, "message": event.message.description, "source": event.source,
        ]
        var nested: [String: Any] = [:]
        let provided = metadataProvider?.get() ?? [:]
        for (key, value) in provided.merging(metadata, uniquingKeysWith: { $1 }).merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            if reserved.contains(key) { nested[key] = Self.json(value) } else { fields[key] = Self.json(value) }
        }
        if !nested.isEmpty { fields["metadata"] = nested }
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        write(String(decoding: data, as: UTF8.self) + "\n")
    }

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(json)
        case .dictionary(let values): values.mapValues(json)
        }
    }
}

/// How `querygate` writes its log lines, from `QUERYGATE_LOG_FORMAT`: `text` (the default, swift-log's own
/// lines) or `json`. Read from the environment alone, before any settings file, because logging starts first.
public enum LogFormat: String, CaseIterable, Sendable {
    case text, json

    public init(environment: [String: String]) throws(LogFormatError) {
        guard let value = environment["QUERYGATE_LOG_FORMAT"], !value.isEmpty else {
            self = .text
            return
        }
        guard let format = LogFormat(rawValue: value.lowercased()) else { throw LogFormatError(value: value) }
        self = format
    }

    public func handler(label: String, metadataProvider: Logger.MetadataProvider?) -> any LogHandler {
        switch self {
        case .text: StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
        case .json: JSONLogHandler.standardError(label: label, metadataProvider: metadataProvider)
        }
    }
}

public struct LogFormatError: Error, CustomStringConvertible {
    let value: String
    public var description: String { "QUERYGATE_LOG_FORMAT must be text or json, not '\(value.prefix(20))'" }
}
