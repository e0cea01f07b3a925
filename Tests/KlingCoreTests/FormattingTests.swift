import Testing

@testable import KlingCore

/// The byte-level decimal formatter against the string-building one it replaced, kept here as
/// the oracle: every amount a report or a JSON document prints must stay byte-identical.
@Suite("Decimal formatting")
struct FormattingTests {
    /// The formatter as it was before it wrote bytes (character by character).
    static func reference(_ millionths: Int64, minimumFractionDigits: Int) -> String {
        let magnitude = millionths.magnitude
        let whole = magnitude / 1_000_000
        var fraction = String(magnitude % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > minimumFractionDigits, fraction.last == "0" { fraction.removeLast() }
        let sign = millionths < 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    static var edgeValues: [Int64] {
        var values: [Int64] = [0, 1, -1, 9, 10, 99, 100, 999_999, 1_000_000, 1_000_001, 350_000, 98_000, 700_000, Int64.max, Int64.min, Int64.min + 1]
        var power: Int64 = 1
        for _ in 0..<19 {  // every digit count
            values += [power, power - 1, power + 1, -power, -(power - 1), power * 7 / 3]
            if power > Int64.max / 10 { break }
            power *= 10
        }
        return values
    }

    @Test("Edge values (zero, negatives, the largest and smallest, every digit count) format as before", arguments: [0, 2])
    func edges(minimum: Int) {
        for value in Self.edgeValues {
            #expect(FixedPoint.format(value, minimumFractionDigits: minimum) == Self.reference(value, minimumFractionDigits: minimum), "\(value)")
        }
    }

    @Test("A hundred thousand pseudo-random amounts format as before")
    func random() {
        var generator = SplitMix(seed: 42)
        var mismatches: [Int64] = []
        for _ in 0..<100_000 {
            let value = Int64(bitPattern: generator.next()) >> Int64(generator.next() % 60)
            for minimum in [0, 2] where FixedPoint.format(value, minimumFractionDigits: minimum) != Self.reference(value, minimumFractionDigits: minimum) {
                mismatches.append(value)
            }
        }
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(3))")
        #expect(USD(micros: 700_000).decimalString == "0.70" && Units(millionths: 2_500_000).decimalString == "2.5")
    }
}

/// A small deterministic generator, so a failure names a reproducible value.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
