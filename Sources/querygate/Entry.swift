import ArgumentParser
import Foundation
import Logging
import PortalStore
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
        // Every line logged while work is about a request says which (RequestLogContext).
        LoggingSystem.bootstrap({ label, provider in format.handler(label: label, metadataProvider: provider) },
                                metadataProvider: RequestLogContext.metadataProvider)
        await QueryGateCommand.main(nil)
    }
}
