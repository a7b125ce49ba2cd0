import ArgumentParser
import Foundation
import Logging
import QueryGateCLI

@main
enum Entry {
    static func main() async {
        // Log lines go to standard error, so that what a command prints on standard output stays clean to pipe.
        LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
        await QueryGateCommand.main(nil)
    }
}
