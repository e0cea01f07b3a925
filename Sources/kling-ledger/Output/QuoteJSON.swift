import Foundation
import KlingCore
import Pricing

/// A quote as `--json` prints it. Money is an exact decimal string; absent values are `null`
/// rather than missing, so a script can rely on every key.
struct QuoteJSON: Encodable {
    let quote: Quote

    enum CodingKeys: String, CodingKey {
        case provider, kind, model, mode, sound, units, rule, estimated, source, table
        case durationSeconds = "duration_seconds"
        case amountUSD = "amount_usd"
        case unitPriceUSD = "unit_price_usd"
        case unitPriceSource = "unit_price_source"
        case tableVersion = "table_version"
        case effectiveFrom = "effective_from"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let job = quote.job
        try container.encode(job.provider.rawValue, forKey: .provider)
        try container.encode(job.kind.rawValue, forKey: .kind)
        try container.encode(job.model, forKey: .model)
        try container.encode(job.mode?.rawValue, forKey: .mode)
        try container.encode(job.durationSeconds, forKey: .durationSeconds)
        try container.encode(job.sound, forKey: .sound)
        try container.encode(quote.amount.decimalString, forKey: .amountUSD)
        try container.encode(quote.units?.decimalString, forKey: .units)
        try container.encode(quote.unitPrice?.amount.decimalString, forKey: .unitPriceUSD)
        try container.encode(quote.unitPrice?.originDescription, forKey: .unitPriceSource)
        try container.encode(quote.tableFile, forKey: .table)
        try container.encode(quote.versionID, forKey: .tableVersion)
        try container.encode(quote.versionEffectiveFrom.iso8601, forKey: .effectiveFrom)
        try container.encode(quote.ruleDescription, forKey: .rule)
        try container.encode(quote.estimated, forKey: .estimated)
        try container.encode(quote.source, forKey: .source)
    }
}
