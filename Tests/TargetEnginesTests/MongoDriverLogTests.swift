import CLibMongoc
import Logging
import QueryGateTestSupport
import Testing
@testable import TargetEngines

/// libmongoc's own log lines reach swift-log at the matching level, marked as the driver's.
@Suite struct MongoDriverLogTests {
    @Test func driverLinesKeepTheirLevelAndSayWhereTheyCameFrom() {
        let captured = CapturedLogs()
        let logger = captured.logger
        let levels: [(mongoc_log_level_t, Logger.Level)] = [
            (MONGOC_LOG_LEVEL_CRITICAL, .error), (MONGOC_LOG_LEVEL_ERROR, .error), (MONGOC_LOG_LEVEL_WARNING, .warning),
            (MONGOC_LOG_LEVEL_MESSAGE, .info), (MONGOC_LOG_LEVEL_INFO, .info), (MONGOC_LOG_LEVEL_DEBUG, .debug), (MONGOC_LOG_LEVEL_TRACE, .trace),
        ]
        for (level, _) in levels {
            MongoDriver.forward(level: level, domain: "stream", message: "Failed to buffer 4 bytes", to: logger)
        }
        let lines = captured.all
        #expect(lines.map(\.level) == levels.map(\.1))
        #expect(lines.allSatisfy { $0.message == "Failed to buffer 4 bytes" && $0.metadata["component"] == "mongoc" && $0.metadata["domain"] == "stream" })
    }
}
