import ArgumentParser
import Gate
import Ledger
import Pricing

/// The options every command takes: which ledger and which price tables.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("ledger"),
        help: ArgumentHelp(
            "The ledger file.",
            discussion: "Default: $KLING_LEDGER_DB, else ~/.local/share/kling-ledger/ledger.sqlite.",
            valueName: "path"))
    var ledgerPath: String?

    @Option(
        name: .customLong("pricing"),
        help: ArgumentHelp(
            "A folder of price tables (*.json) to use instead of the bundled ones.",
            discussion: "Default: $KLING_LEDGER_PRICING, else the tables shipped in the project's pricing/ folder.",
            valueName: "dir"))
    var pricingFolder: String?

    /// The price tables in force.
    func priceBook() throws -> PriceBook {
        try PriceBook.load(folder: pricingFolder)
    }

    /// The ledger in force, opened and migrated.
    func openLedger() throws -> Ledger {
        try Ledger(path: Ledger.path(option: ledgerPath))
    }

    /// The gate over the ledger and tables in force, with clients from the environment.
    func gate() throws -> Gate {
        Gate(ledgerPath: Ledger.path(option: ledgerPath), prices: try priceBook())
    }
}
