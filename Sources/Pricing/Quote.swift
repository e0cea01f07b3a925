import Foundation
import KlingCore

/// The price of a job before it is sent, with everything needed to explain and audit it.
public struct Quote: Sendable {
    /// The job as priced, with the provider's defaults filled in.
    public let job: BillableJob
    /// What the job is expected to cost.
    public let amount: USD
    /// The provider units, for unit-priced tables.
    public let units: Units?
    /// The price of one unit used, for unit-priced tables.
    public let unitPrice: UnitPrice?
    /// The table file consulted.
    public let tableFile: String
    /// The version used, stored in the ledger with the amount.
    public let versionID: String
    public let versionEffectiveFrom: Date
    /// The rule's position in its version, counting from 1.
    public let ruleNumber: Int
    public let rule: PriceRule
    /// Whether the table is an estimate awaiting contract prices.
    public let estimated: Bool
    /// Where the table's figures come from.
    public let source: String

    /// `rule 14 (kling-v2-5-turbo pro 10 s: 5 units per clip)`.
    public var ruleDescription: String {
        "rule \(ruleNumber) (\(rule.match.summary): \(rule.price.summary))"
    }

    /// How the amount follows from the rule: `5 units × $0.14 per unit`, `$0.35 per clip`.
    public var arithmetic: String {
        switch rule.price {
        case .usdPerClip(let usd):
            return "\(usd.formatted) per clip"
        case .usdPerSecond(let usd):
            return "\(job.durationSeconds) s × \(usd.formatted) per second"
        case .unitsPerClip, .unitsPerSecond:
            let perSecond = if case .unitsPerSecond(let rate) = rule.price { "\(job.durationSeconds) s × \(rate) units per second = " } else { "" }
            let price = unitPrice.map { "\($0.amount.formatted) per unit (\($0.originDescription))" } ?? "?"
            return "\(perSecond)\(units?.decimalString ?? "?") units × \(price)"
        }
    }
}
