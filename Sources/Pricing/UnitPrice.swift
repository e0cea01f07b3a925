import Foundation
import KlingCore

/// The dollar price of one Kling unit used for a quote, and where it came from.
///
/// The unit price belongs to the organisation's resource pack, so it varies: the table's list
/// price applies unless `KLING_UNIT_PRICE` or `--unit-price` says otherwise. Reports name it.
public struct UnitPrice: Hashable, Sendable {
    public let amount: USD
    public let origin: Origin

    public enum Origin: Hashable, Sendable {
        /// The list price in the table version used.
        case table(version: String)
        /// The `KLING_UNIT_PRICE` environment variable.
        case environment
        /// A command-line option or a library caller.
        case option
    }

    public init(amount: USD, origin: Origin) {
        self.amount = amount
        self.origin = origin
    }

    /// The environment variable holding the organisation's unit price.
    public static let environmentVariable = "KLING_UNIT_PRICE"

    /// The override in force: the option's value if given, else `KLING_UNIT_PRICE`, else none.
    ///
    /// - Throws: `PricingError.invalidUnitPrice` naming where the bad value came from.
    public static func override(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(PricingError) -> UnitPrice? {
        if let option { return try parse(option, origin: .option) }
        if let value = environment[environmentVariable], !value.isEmpty { return try parse(value, origin: .environment) }
        return nil
    }

    private static func parse(_ text: String, origin: Origin) throws(PricingError) -> UnitPrice {
        guard let amount = USD(text), amount > .zero else {
            throw .invalidUnitPrice(text, origin: origin)
        }
        return UnitPrice(amount: amount, origin: origin)
    }

    /// Where the price came from, in words: `list price (table version 2026-01)`.
    public var originDescription: String {
        switch origin {
        case .table(let version): "list price, table version \(version)"
        case .environment: "from \(Self.environmentVariable)"
        case .option: "from --unit-price"
        }
    }
}
