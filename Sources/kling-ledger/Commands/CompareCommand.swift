import ArgumentParser
import Foundation
import KlingCore
import Pricing

/// `kling-ledger compare`: the same job priced at every provider.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Price the same job at every provider, cheapest first, and say which cannot run it and why.",
        discussion: """
            Example:
              kling-ledger compare --model kling-v2-5-turbo --mode pro --duration 10
            """)

    @OptionGroup var pricing: PricingOptions
    @OptionGroup var instant: PricingInstantOptions
    @OptionGroup var job: JobOptions

    @Flag(help: "Print the comparison as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let book = try pricing.priceBook()
            let unitPrice = try job.unitPriceOverride()
            var quotes: [Quote] = []
            var unavailable: [(Provider, String)] = []
            for provider in Provider.allCases {
                do {
                    let quote = try book.quote(job.job(for: provider), at: instant.instant, unitPriceOverride: unitPrice)
                    try quote.job.checkSendable()
                    quotes.append(quote)
                } catch let error as any LocalizedError {
                    unavailable.append((provider, error.errorDescription ?? "\(error)"))
                }
            }
            // Stable: equal prices keep the providers' usual order.
            quotes = quotes.enumerated().sorted { ($0.element.amount, $0.offset) < ($1.element.amount, $1.offset) }.map(\.element)

            if json {
                try printJSON(ComparisonJSON(quotes: quotes.map(QuoteJSON.init), unavailable: unavailable.map {
                    ComparisonJSON.Unavailable(provider: $0.0.rawValue, reason: $0.1)
                }))
                return
            }
            print("\(job.job(for: .kling).requestSummary) — cheapest first:")
            if quotes.isEmpty { print("  (no provider can price this job)") }
            let width = quotes.map(\.amount.formatted.count).max() ?? 0
            for quote in quotes {
                let amount = quote.amount.formatted.padding(toLength: width, withPad: " ", startingAt: 0)
                let estimated = quote.estimated ? "  [estimated: no published price]" : ""
                print("  \(amount)  \(quote.job.provider.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \(quote.job.model ?? "(own model)")  \(quote.arithmetic)\(estimated)")
            }
            if !unavailable.isEmpty {
                print("Cannot run it:")
                for (provider, reason) in unavailable {
                    print("  \(provider.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \(reason)")
                }
            }
        }
    }
}

/// `compare --json`.
struct ComparisonJSON: Encodable {
    struct Unavailable: Encodable {
        let provider: String
        let reason: String
    }
    let quotes: [QuoteJSON]
    let unavailable: [Unavailable]
}
