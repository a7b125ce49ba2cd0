/// Standard base64 (RFC 4648, `+/` alphabet, `=` padding) for BSON binary values.
enum MongoBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    private static let values: [Character: UInt32] = Dictionary(
        uniqueKeysWithValues: alphabet.enumerated().map { ($0.element, UInt32($0.offset)) })

    static func encode(_ bytes: [UInt8]) -> String {
        var text = ""
        text.reserveCapacity((bytes.count + 2) / 3 * 4)
        for chunkStart in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = bytes[chunkStart..<min(chunkStart + 3, bytes.count)]
            var group: UInt32 = 0
            for (index, byte) in chunk.enumerated() { group |= UInt32(byte) << (16 - 8 * index) }
            for index in 0..<4 {
                text.append(index <= chunk.count ? alphabet[Int(group >> (18 - 6 * index) & 0x3F)] : "=")
            }
        }
        return text
    }

    /// Decodes padded or unpadded base64; nil for characters outside the alphabet, misplaced
    /// padding or an impossible length.
    static func decode(_ text: String) -> [UInt8]? {
        var characters = Array(text)
        var padding = 0
        while characters.last == "=" && padding < 2 {
            characters.removeLast()
            padding += 1
        }
        guard characters.count % 4 != 1, padding == 0 || (characters.count + padding) % 4 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count * 3 / 4)
        var group: UInt32 = 0
        var bitCount = 0
        for character in characters {
            guard let value = values[character] else { return nil }
            group = group << 6 | value
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                bytes.append(UInt8(truncatingIfNeeded: group >> UInt32(bitCount)))
            }
        }
        return bytes
    }
}
