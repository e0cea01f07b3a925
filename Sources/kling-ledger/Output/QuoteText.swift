import Foundation
import KlingCore
import Pricing

/// Quotes for a person to read.
enum QuoteText {
    /// A quote with its whole basis: amount, arithmetic, table, version, rule and source.
    static func describe(_ quote: Quote) -> String {
        var lines = [
            "\(quote.job.summary): \(quote.amount.formatted)\(quote.estimated ? " (estimated)" : "")",
            "  price:  \(quote.arithmetic)",
            "  table:  \(quote.tableFile), version \(quote.versionID) (in force since \(quote.versionEffectiveFrom.iso8601))",
            "  rule:   \(quote.ruleDescription)",
        ]
        if let note = quote.rule.note { lines.append("  note:   \(note)") }
        lines.append("  source: \(quote.source)")
        do { try quote.job.checkSendable() } catch {
            lines.append("  warning: this job can be priced but not submitted: \(error.errorDescription ?? "")")
        }
        return lines.joined(separator: "\n")
    }
}
