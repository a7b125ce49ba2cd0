/// Regular-expression flags, validated and converted to BSON's option letters.
enum MongoRegexOptions {
    /// A rejected flag and its index within the flags text, so errors can point at it.
    struct InvalidFlag: Error {
        let index: Int
        let message: String
    }

    /// JavaScript literal flags `i m s x u`. `u` is dropped: it only changes how a JavaScript
    /// engine reads the pattern, while the server's PCRE always works on UTF-8. `g` and `y`
    /// describe JavaScript matching state and have no meaning in a query.
    static func fromJavaScriptFlags(_ flags: String) throws(InvalidFlag) -> String {
        try normalize(flags, allowed: "imsxu", describedAs: "i, m, s, x and u").filter { $0 != "u" }
    }

    /// BSON options as written in `{"$regularExpression": {..., "options": "..."}}`.
    static func fromBSONOptions(_ options: String) throws(InvalidFlag) -> String {
        try normalize(options, allowed: "ilmsux", describedAs: "i, l, m, s, u and x")
    }

    /// Rejects unknown or repeated letters and sorts the rest, as BSON requires.
    private static func normalize(_ flags: String, allowed: String, describedAs supported: String)
        throws(InvalidFlag) -> String
    {
        var seen = Set<Character>()
        for (index, flag) in flags.enumerated() {
            guard allowed.contains(flag) else {
                throw InvalidFlag(
                    index: index,
                    message: "unsupported regular expression flag '\(flag)'; supported flags are \(supported)")
            }
            guard seen.insert(flag).inserted else {
                throw InvalidFlag(index: index, message: "regular expression flag '\(flag)' is repeated")
            }
        }
        return String(seen.sorted())
    }
}

/// Text formats of numbers that arrive inside strings (`NumberDecimal("1.10")`,
/// `{"$numberDouble": "2.5"}`), checked here so bad input fails at parse time with a
/// position instead of later inside the driver.
enum MongoNumberText {
    /// Decimal128 text that `bson_decimal128_from_string` accepts exactly: an optional sign,
    /// digits with an optional point, an optional exponent, at most 34 significant digits and
    /// an exponent within Decimal128's range; or `Infinity`, `Inf`, `NaN` in any case.
    static func isDecimal128(_ text: String) -> Bool {
        var unsigned = Substring(text)
        if unsigned.first == "+" || unsigned.first == "-" { unsigned = unsigned.dropFirst() }
        if ["inf", "infinity", "nan"].contains(unsigned.lowercased()) { return true }
        guard let parts = decimalParts(unsigned) else { return false }
        let significantDigits = (parts.integer + parts.fraction).drop(while: { $0 == "0" }).count
        let exponent = parts.exponent - parts.fraction.count
        return significantDigits <= 34 && (-6176...6111).contains(exponent)
    }

    /// A finite double in JSON number syntax, or the Extended JSON names of the non-finite ones.
    static func double(_ text: String) -> Double? {
        switch text {
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        case "NaN": return .nan
        default:
            let unsigned = text.first == "-" ? text.dropFirst() : Substring(text)
            guard let parts = decimalParts(unsigned), !parts.integer.isEmpty else { return nil }
            return Double(text)
        }
    }

    /// Splits `12.50e-3` into digits before and after the point and the exponent; nil when
    /// the text is not of that shape or has no digits at all.
    private static func decimalParts(_ text: Substring) -> (integer: Substring, fraction: Substring, exponent: Int)? {
        let mantissaEnd = text.firstIndex { $0 == "e" || $0 == "E" } ?? text.endIndex
        let mantissa = text[..<mantissaEnd]
        let pointIndex = mantissa.firstIndex(of: ".") ?? mantissa.endIndex
        let integer = mantissa[..<pointIndex]
        let fraction = pointIndex == mantissa.endIndex ? "" : mantissa[mantissa.index(after: pointIndex)...]
        guard integer.allSatisfy(isDigit), fraction.allSatisfy(isDigit), !(integer + fraction).isEmpty else {
            return nil
        }
        guard mantissaEnd != text.endIndex else { return (integer, fraction, 0) }
        var exponentText = text[text.index(after: mantissaEnd)...]
        let isNegative = exponentText.first == "-"
        if exponentText.first == "+" || isNegative { exponentText = exponentText.dropFirst() }
        // Seven digits already exceed any Decimal128 or double exponent; stop before Int overflows.
        guard !exponentText.isEmpty, exponentText.count <= 7, exponentText.allSatisfy(isDigit),
            let magnitude = Int(exponentText)
        else { return nil }
        return (integer, fraction, isNegative ? -magnitude : magnitude)
    }

    private static func isDigit(_ character: Character) -> Bool {
        character.asciiValue.map { (0x30...0x39).contains($0) } ?? false
    }
}

/// UUIDs for `UUID("...")` and `{"$uuid": "..."}`: 32 hex digits, with or without the four
/// hyphens of the canonical 8-4-4-4-12 form.
enum MongoUUIDText {
    static func bytes(_ text: String) -> [UInt8]? {
        let characters = Array(text)
        let hyphenPositions = [8, 13, 18, 23]
        let isHyphenated = characters.count == 36 && hyphenPositions.allSatisfy { characters[$0] == "-" }
        let hex = isHyphenated ? String(characters.filter { $0 != "-" }) : text
        guard hex.count == 32, let bytes = MongoHex.decode(hex) else { return nil }
        return bytes
    }
}
