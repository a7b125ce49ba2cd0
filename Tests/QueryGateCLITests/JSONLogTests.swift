import Foundation
import Logging
import PortalStore
import QueryGateCLI
import QueryGateTestSupport
import Synchronization
import Testing

/// `QUERYGATE_LOG_FORMAT=json`: one JSON object per line, metadata as fields, for log collectors.
@Suite("JSON log lines")
struct JSONLogTests {
    @Test func aLineIsOneJSONObjectWithItsMetadataAsFields() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "querygate") { label in JSONLogHandler(label: label) { line in lines.withLock { $0.append(line) } } }
        logger[metadataKey: "request"] = "42"
        logger.warning("could not \"send\"\nthe reply", metadata: ["error": "channel_not_found", "message": "shadowed", "attempts": .array(["1", "2"])])

        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"), "a line break inside a line")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "querygate")
        #expect(object["message"] as? String == "could not \"send\"\nthe reply")
        #expect(object["request"] as? String == "42")
        #expect(object["error"] as? String == "channel_not_found")
        #expect(object["attempts"] as? [String] == ["1", "2"])
        // A metadata key that would overwrite one of the line's own fields goes under `metadata`.
        #expect((object["metadata"] as? [String: Any])?["message"] as? String == "shadowed")
        #expect((object["ts"] as? String)?.hasSuffix("Z") == true)
    }

    @Test func workAboutARequestNamesItInEveryLineWhoeverLogs() async throws {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "querygate.outbox") { label in
            JSONLogHandler(label: label, metadataProvider: RequestLogContext.metadataProvider) { line in lines.withLock { $0.append(line) } }
        }
        await RequestLogContext.$requestID.withValue(7) {
            logger.info("inside the delivery")
        }
        logger.info("between deliveries")
        let objects = try lines.withLock { $0 }.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.map { $0["request"] as? String } == ["7", nil])
    }

    @Test func theFormatIsTextByDefaultJSONOnRequestAndAnythingElseIsRefused() throws {
        #expect(try LogFormat(environment: [:]) == .text)
        #expect(try LogFormat(environment: ["QUERYGATE_LOG_FORMAT": "JSON"]) == .json)
        #expect(throws: LogFormatError.self) { try LogFormat(environment: ["QUERYGATE_LOG_FORMAT": "yaml"]) }
    }

    @Test func theBinaryRefusesAnUnknownFormatAtOnce() async throws {
        let directory = try Scratch.directory()
        defer { Scratch.remove(directory) }
        let process = try ChildProcess(
            [ChildProcess.querygateExecutable, "serve"],
            environment: BinaryTests.baseEnvironment.merging(["QUERYGATE_LOG_FORMAT": "yaml"]) { $1 }, directory: directory)
        #expect(await process.waitForExit() == 78)
        #expect(process.output == "querygate: QUERYGATE_LOG_FORMAT must be text or json, not 'yaml'\n")
    }
}
