/// An exact count of Kling resource-pack units, such as the `"2.5"` of `final_unit_deduction`.
///
/// Units are kept to the millionth, as integers: the official API deducts fractional units
/// (0.3 per second) and the ledger must reproduce them exactly.
public struct Units: Hashable, Comparable, Sendable {
    /// The count in millionths of a unit.
    public var millionths: Int64

    /// Creates a count from millionths of a unit.
    public init(millionths: Int64) {
        self.millionths = millionths
    }

    /// Parses an exact decimal such as `"2.5"`.
    /// - Returns: `nil` for text that is not a plain decimal with at most six non-zero places.
    public init?(_ text: some StringProtocol) {
        guard let millionths = FixedPoint.parse(text) else { return nil }
        self.millionths = millionths
    }

    /// No units.
    public static let zero = Units(millionths: 0)

    /// The shortest exact decimal: `"5"`, `"2.5"`, `"0.3"`.
    public var decimalString: String {
        FixedPoint.format(millionths, minimumFractionDigits: 0)
    }

    public static func < (lhs: Units, rhs: Units) -> Bool { lhs.millionths < rhs.millionths }

    /// The sum of two counts.
    /// - Throws: `MoneyError.overflow` rather than trapping.
    public func adding(_ other: Units) throws(MoneyError) -> Units {
        let (sum, overflow) = millionths.addingReportingOverflow(other.millionths)
        guard !overflow else { throw .overflow }
        return Units(millionths: sum)
    }

    /// The units times a whole count (seconds).
    /// - Throws: `MoneyError.overflow` rather than trapping.
    public func times(_ count: Int) throws(MoneyError) -> Units {
        let (product, overflow) = millionths.multipliedReportingOverflow(by: Int64(count))
        guard !overflow else { throw .overflow }
        return Units(millionths: product)
    }

    /// What these units cost at a resource pack's unit price.
    ///
    /// Exact whenever the product has at most six decimal places (every published figure);
    /// otherwise rounded half away from zero to the micro-dollar.
    /// - Throws: `MoneyError.overflow` rather than trapping.
    public func cost(at unitPrice: USD) throws(MoneyError) -> USD {
        guard let micros = FixedPoint.multiply(millionths, unitPrice.micros) else { throw .overflow }
        return USD(micros: micros)
    }
}

extension Units: CustomStringConvertible {
    public var description: String { decimalString }
}
