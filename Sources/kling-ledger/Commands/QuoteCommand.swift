import ArgumentParser
import KlingCore
import Pricing

/// `kling-ledger quote`: what one job would cost, and why.
struct QuoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quote",
        abstract: "Price one job at one provider, showing the table, version and rule used.",
        discussion: """
            Nothing is sent and nothing is recorded. A job no rule prices is refused (exit 64), \
            never priced at $0.

            Examples:
              kling-ledger quote --provider pixazo --duration 5 --json
              kling-ledger quote --model kling-v2-6 --mode pro --sound --unit-price 0.098
            """)

    @OptionGroup var pricing: PricingOptions
    @OptionGroup var instant: PricingInstantOptions

    @Option(help: "The gateway to price the job at.")
    var provider: Provider = .kling

    @OptionGroup var job: JobOptions

    @Flag(help: "Print the quote as JSON (money as exact decimal strings).")
    var json = false

    func run() throws {
        try reportingFailures {
            let quote = try pricing.priceBook().quote(
                job.job(for: provider), at: instant.instant, unitPriceOverride: try job.unitPriceOverride())
            if json {
                try printJSON(QuoteJSON(quote: quote))
            } else {
                print(QuoteText.describe(quote))
            }
        }
    }
}
