import CLibMongoc
import Logging
import Synchronization
import Testing
@testable import TargetEngines

/// libmongoc's own log lines reach swift-log at the matching level, marked as the driver's.
@Suite struct MongoDriverLogTests {
    final class Captured: @unchecked Sendable {
        let lines = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
    }

    struct CapturingHandler: LogHandler {
        let captured: Captured
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            captured.lines.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }

    @Test func driverLinesKeepTheirLevelAndSayWhereTheyCameFrom() {
        let captured = Captured()
        let logger = Logger(label: "capture") { _ in CapturingHandler(captured: captured) }
        let levels: [(mongoc_log_level_t, Logger.Level)] = [
            (MONGOC_LOG_LEVEL_CRITICAL, .error), (MONGOC_LOG_LEVEL_ERROR, .error), (MONGOC_LOG_LEVEL_WARNING, .warning),
            (MONGOC_LOG_LEVEL_MESSAGE, .info), (MONGOC_LOG_LEVEL_INFO, .info), (MONGOC_LOG_LEVEL_DEBUG, .debug), (MONGOC_LOG_LEVEL_TRACE, .trace),
        ]
        for (level, _) in levels {
            MongoDriver.forward(level: level, domain: "stream", message: "Failed to buffer 4 bytes", to: logger)
        }
        let lines = captured.lines.withLock { $0 }
        #expect(lines.map(\.0) == levels.map(\.1))
        #expect(lines.allSatisfy { $0.1 == "Failed to buffer 4 bytes" && $0.2["component"] == "mongoc" && $0.2["domain"] == "stream" })
    }
}
