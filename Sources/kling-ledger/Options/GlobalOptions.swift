import ArgumentParser
import Foundation
import Gate
import Ledger
import Pricing

/// `--ledger`: which ledger a command reads or writes.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .customLong("ledger"),
        help: ArgumentHelp(
            "The ledger: a file, or a PostgreSQL URL (postgres://user@host:5432/database) shared by several machines.",
            discussion: """
                Default: $KLING_LEDGER_DB, else ~/.local/share/kling-ledger/ledger.sqlite. A URL's password may be in it,                 in PGPASSWORD, or in ~/.pgpass; options: ?statement_timeout=SECONDS&connections=1|2.
                """,
            valueName: "path-or-url"))
    var ledgerPath: String?

    /// The ledger file in force.
    var path: String { Ledger.path(option: ledgerPath) }

    /// The ledger in force: read-only commands open it read-only and never create it; only
    /// commands that record something start a new one.
    func open(_ access: Ledger.Access) throws -> Ledger {
        try Ledger(path: path, access: access)
    }
}

/// `--pricing`: which price tables a command reads.
struct PricingOptions: ParsableArguments {
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
}

/// The gate over the ledger and tables in force, with clients from the environment.
func gate(_ ledger: LedgerOptions, _ pricing: PricingOptions) throws -> Gate {
    Gate(ledgerPath: ledger.path, prices: try pricing.priceBook())
}
