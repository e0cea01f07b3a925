import KlingCore
import Testing

@Suite("Exact money and units")
struct MoneyTests {
    @Test(
        "Decimal text parses to exact micro-dollars",
        arguments: [
            ("0.35", 350_000), ("0.14", 140_000), ("0.098", 98_000), ("1", 1_000_000), ("-1.5", -1_500_000),
            ("0.000001", 1), ("2.5000000", 2_500_000), ("1234567.123456", 1_234_567_123_456),
        ] as [(String, Int64)])
    func parsesExactly(text: String, micros: Int64) {
        #expect(USD(text)?.micros == micros)
    }

    @Test(
        "Anything but a plain decimal is refused, including a seventh non-zero decimal",
        arguments: ["", "-", ".5", "1.", "1e3", "$1", " 1", "1 ", "+1", "0.0000001", "1,5", "NaN", "99999999999999999999"])
    func refusesNonDecimals(text: String) {
        #expect(USD(text) == nil)
        #expect(Units(text) == nil)
    }

    @Test(
        "Amounts print as exact decimals",
        arguments: [(700_000, "0.70", "$0.70"), (98_000, "0.098", "$0.098"), (-1_000_000, "-1.00", "-$1.00"), (1, "0.000001", "$0.000001")]
            as [(Int64, String, String)])
    func formats(micros: Int64, decimal: String, formatted: String) {
        #expect(USD(micros: micros).decimalString == decimal)
        #expect(USD(micros: micros).formatted == formatted)
    }

    @Test("The most negative amount prints without trapping")
    func extremes() {
        #expect(USD(micros: .min).formatted == "-$9223372036854.775808")
        #expect(USD(micros: .max).decimalString == "9223372036854.775807")
    }

    @Test("Units print in their shortest exact form")
    func unitsFormat() throws {
        #expect(try #require(Units("5.000")).decimalString == "5")
        #expect(try #require(Units("2.50")).decimalString == "2.5")
        #expect(try #require(Units("0.3")).decimalString == "0.3")
    }

    @Test(
        "Units convert to dollars exactly at a pack's unit price",
        arguments: [("5", "0.14", "0.70"), ("2.5", "0.098", "0.245"), ("1", "0.14", "0.14"), ("8", "0.098", "0.784"), ("0.3", "0.14", "0.042")])
    func unitsToDollars(units: String, price: String, dollars: String) throws {
        let cost = try #require(Units(units)).cost(at: try #require(USD(price)))
        #expect(cost == USD(dollars))
    }

    @Test("A product finer than a micro-dollar rounds half away from zero")
    func rounding() throws {
        // 0.000001 units × $0.5 = $0.0000005 → $0.000001
        #expect(try Units(millionths: 1).cost(at: USD(micros: 500_000)) == USD(micros: 1))
        // 0.000001 units × $0.4 = $0.0000004 → $0
        #expect(try Units(millionths: 1).cost(at: USD(micros: 400_000)) == USD(micros: 0))
    }

    @Test("Overflow is an error, never a trap or a wrapped amount")
    func overflow() {
        #expect(throws: MoneyError.overflow) { try USD(micros: .max).adding(USD(micros: 1)) }
        #expect(throws: MoneyError.overflow) { try USD(micros: .max / 2).times(3) }
        #expect(throws: MoneyError.overflow) { try Units(millionths: .max).cost(at: USD(micros: 2_000_000)) }
    }
}
