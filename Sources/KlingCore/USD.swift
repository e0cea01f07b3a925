/// An amount of US dollars, counted exactly in micro-dollars (1 USD = 1 000 000).
///
/// All money in KlingLedger is a `USD`: quotes, holds, charges, budgets. It is built from
/// integers or exact decimal text, never from binary floating point.
public struct USD: Hashable, Comparable, Sendable {
    /// The amount in millionths of a dollar.
    public var micros: Int64

    /// Creates an amount from a count of micro-dollars.
    public init(micros: Int64) {
        self.micros = micros
    }

    /// Parses an exact decimal such as `"0.35"` or `"-1.5"`.
    ///
    /// - Returns: `nil` for anything that is not a plain decimal with at most six non-zero
    ///   decimal places (no exponent, no `$`, no spaces), or that does not fit.
    public init?(_ text: some StringProtocol) {
        guard let micros = FixedPoint.parse(text) else { return nil }
        self.micros = micros
    }

    /// Zero dollars.
    public static let zero = USD(micros: 0)

    /// The exact decimal, with at least two decimal places: `"0.70"`, `"0.098"`, `"-1.00"`.
    ///
    /// This is the form used in JSON and CSV, where a script reads the number back.
    public var decimalString: String {
        FixedPoint.format(micros, minimumFractionDigits: 2)
    }

    /// The decimal for a person to read: `"$0.70"`, `"-$1.00"`.
    public var formatted: String {
        let decimal = decimalString
        return decimal.hasPrefix("-") ? "-$" + decimal.dropFirst() : "$" + decimal
    }

    public static func < (lhs: USD, rhs: USD) -> Bool { lhs.micros < rhs.micros }

    /// The sum of two amounts.
    /// - Throws: `MoneyError.overflow` rather than trapping.
    public func adding(_ other: USD) throws(MoneyError) -> USD {
        let (sum, overflow) = micros.addingReportingOverflow(other.micros)
        guard !overflow else { throw .overflow }
        return USD(micros: sum)
    }

    /// The amount times a whole count (clips, seconds).
    /// - Throws: `MoneyError.overflow` rather than trapping.
    public func times(_ count: Int) throws(MoneyError) -> USD {
        let (product, overflow) = micros.multipliedReportingOverflow(by: Int64(count))
        guard !overflow else { throw .overflow }
        return USD(micros: product)
    }
}

extension USD: CustomStringConvertible {
    public var description: String { formatted }
}

/// Arithmetic on money that would not fit in 64 bits.
public enum MoneyError: Error, Sendable, Equatable {
    case overflow
}

extension MoneyError: CustomStringConvertible {
    public var description: String {
        "the amount is too large to count in micro-dollars (over 9.2 trillion USD); check the price and unit figures"
    }
}
