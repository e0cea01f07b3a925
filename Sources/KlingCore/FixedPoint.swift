/// Exact decimal text ⇄ integer millionths, the one representation behind `USD` and `Units`.
///
/// Money never passes through binary floating point: "0.35" becomes 350_000 by reading digits.
public enum FixedPoint {
    /// Millionths in one whole: both dollars and units are kept to six decimal places.
    static let scale: Int64 = 1_000_000
    static let fractionDigits = 6

    /// Parses `-?[0-9]+(\.[0-9]+)?` into millionths.
    ///
    /// Digits past the sixth decimal are accepted only when they are zeros ("2.5000000"), because
    /// dropping a non-zero digit would silently round money.
    /// - Returns: `nil` when the text is not such a decimal or does not fit in `Int64`.
    static func parse(_ text: some StringProtocol) -> Int64? {
        parse(utf8: Substring(text).utf8[...])
    }

    /// The same, straight from UTF-8 bytes (SQLite's text, without making a String of it).
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        parse(utf8: bytes[...])
    }

    private static func parse<Bytes: Collection>(utf8: Bytes) -> Int64? where Bytes.Element == UInt8, Bytes.SubSequence == Bytes {
        var bytes = utf8
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        let integerDigits = bytes.prefix { $0 != UInt8(ascii: ".") }
        var fractionDigits = bytes.dropFirst(integerDigits.count)
        if !fractionDigits.isEmpty {
            fractionDigits = fractionDigits.dropFirst()  // the "."
            if fractionDigits.isEmpty { return nil }
        }
        guard !integerDigits.isEmpty,
            integerDigits.allSatisfy(isDigit), fractionDigits.allSatisfy(isDigit),
            fractionDigits.dropFirst(Self.fractionDigits).allSatisfy({ $0 == UInt8(ascii: "0") })
        else { return nil }

        var value: Int64 = 0
        for digit in integerDigits {
            guard let next = accumulate(value, digit) else { return nil }
            value = next
        }
        let kept = Array(fractionDigits.prefix(Self.fractionDigits))
        for index in 0..<Self.fractionDigits {
            guard let next = accumulate(value, index < kept.count ? kept[index] : UInt8(ascii: "0")) else {
                return nil
            }
            value = next
        }
        return negative ? -value : value
    }

    /// Formats millionths as a decimal with at least `minimumFractionDigits` places and no
    /// trailing zeros beyond them: 700_000 → "0.70" (minimum 2) or "0.7" (minimum 0).
    static func format(_ millionths: Int64, minimumFractionDigits: Int) -> String {
        withFormatted(millionths, minimumFractionDigits: minimumFractionDigits) { String(decoding: $0, as: UTF8.self) }
    }

    /// The same decimal as UTF-8 bytes in a buffer on the stack, for callers that copy them
    /// on (CSV, SQLite): no string is built. Digits are written right to left, the fraction first.
    public static func withFormatted<Result>(
        _ millionths: Int64, minimumFractionDigits: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
    ) rethrows -> Result {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            let magnitude = millionths.magnitude  // UInt64: Int64.min has a magnitude too
            var whole = magnitude / UInt64(scale)
            var fraction = magnitude % UInt64(scale)
            var kept = fractionDigits
            while kept > minimumFractionDigits, fraction % 10 == 0 {
                fraction /= 10
                kept -= 1
            }
            var position = buffer.count
            for _ in 0..<kept {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
            }
            if kept > 0 {
                position -= 1
                buffer[position] = UInt8(ascii: ".")
            }
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(whole % 10)
                whole /= 10
            } while whole > 0
            if millionths < 0 {
                position -= 1
                buffer[position] = UInt8(ascii: "-")
            }
            return try body(UnsafeBufferPointer(rebasing: buffer[position...]))
        }
    }

    /// `a × b / scale`, rounded half away from zero to the nearest millionth, computed in 128 bits.
    static func multiply(_ a: Int64, _ b: Int64) -> Int64? {
        let product = Int128(a) * Int128(b)
        let scale = Int128(Self.scale)
        var quotient = product / scale
        let remainder = product % scale
        if remainder.magnitude * 2 >= scale.magnitude { quotient += product < 0 ? -1 : 1 }
        return Int64(exactly: quotient)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func accumulate(_ value: Int64, _ digit: UInt8) -> Int64? {
        let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflowB) = shifted.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
        return overflowA || overflowB ? nil : sum
    }
}
