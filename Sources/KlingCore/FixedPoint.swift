/// Exact decimal text ⇄ integer millionths, the one representation behind `USD` and `Units`.
///
/// Money never passes through binary floating point: "0.35" becomes 350_000 by reading digits.
enum FixedPoint {
    /// Millionths in one whole: both dollars and units are kept to six decimal places.
    static let scale: Int64 = 1_000_000
    static let fractionDigits = 6

    /// Parses `-?[0-9]+(\.[0-9]+)?` into millionths.
    ///
    /// Digits past the sixth decimal are accepted only when they are zeros ("2.5000000"), because
    /// dropping a non-zero digit would silently round money.
    /// - Returns: `nil` when the text is not such a decimal or does not fit in `Int64`.
    static func parse(_ text: some StringProtocol) -> Int64? {
        var bytes = Substring(text).utf8[...]
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
        let magnitude = millionths.magnitude
        let whole = magnitude / UInt64(scale)
        var fraction = String(magnitude % UInt64(scale))
        fraction = String(repeating: "0", count: fractionDigits - fraction.count) + fraction
        while fraction.count > minimumFractionDigits, fraction.last == "0" { fraction.removeLast() }
        let sign = millionths < 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
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
