import ArgumentParser
import Foundation
import Logging
import QueryGateCLI

@main
enum Entry {
    static func main() async {
        // Log lines go to standard error, so that what a command prints on standard output stays clean to pipe.
        let format: LogFormat
        do {
            format = try LogFormat(environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("querygate: \(error)\n".utf8))
            exit(78)  // EX_CONFIG, as every other setting that is wrong
        }
        LoggingSystem.bootstrap { label in format.handler(label: label) }
        await QueryGateCommand.main(nil)
    }
}
