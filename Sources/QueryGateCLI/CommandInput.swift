import Foundation

/// Where commands read what they ask for. The binary reads the terminal; tests answer from a script.
public protocol CommandInput: Sendable {
    /// One line of standard input without its line break; nil at its end.
    func readLine() -> String?
    /// Asks at the terminal with echo off, so the answer is neither shown nor kept in the shell's history; nil when
    /// there is no terminal to ask at.
    func readSecret(prompt: String) -> String?
}

/// Standard input, and the controlling terminal (`/dev/tty`) for secrets.
public struct TerminalInput: CommandInput {
    public init() {}

    public func readLine() -> String? {
        Swift.readLine(strippingNewline: true)
    }

    public func readSecret(prompt: String) -> String? {
        let terminal = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard terminal >= 0 else { return nil }
        defer { close(terminal) }
        var saved = termios()
        guard tcgetattr(terminal, &saved) == 0 else { return nil }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        _ = tcsetattr(terminal, TCSAFLUSH, &silent)
        defer {
            _ = tcsetattr(terminal, TCSAFLUSH, &saved)
            _ = write(terminal, "\n", 1)
        }
        _ = prompt.withCString { write(terminal, $0, strlen($0)) }

        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(terminal, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
