import ArgumentParser
import Foundation
import Gate
import KlingAPI
import KlingCore
import Ledger
import Pricing

/// `kling-ledger packs`: the official account's resource packs, and alerts for waste.
struct PacksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "packs",
        abstract: "Show the official account's resource packs: used, remaining, expiry, and what the ledger charged.",
        discussion: """
            Reads GET /account/costs. The provider says its remaining units may be up to 12 hours \
            stale. Each pack raises an alert, once, through the alert targets, when its remaining \
            units fall below --alert-below percent of it, and when at its burn rate it will expire \
            with units unused (units that expire are money lost).
            """)

    @OptionGroup var ledger: LedgerOptions
    @Option(help: ArgumentHelp("Alert when a pack's remaining units fall below this percentage.", valueName: "percent")) var alertBelow = 20
    @Flag(help: "Print JSON (an array of packs).") var json = false

    func validate() throws {
        guard (1...100).contains(alertBelow) else { throw ValidationError("--alert-below must be a percentage from 1 to 100, not \(alertBelow)") }
    }

    func run() async throws {
        try await reportingFailures {
            // Packs are counted in units: no price table is read.
            let statuses = try await Gate(ledgerPath: ledger.path, prices: try PriceBook.load(folder: nil)).packs(lowPercent: alertBelow)
            if json { return try printJSON(statuses.map(PackJSON.init)) }
            guard !statuses.isEmpty else { return print("No resource packs in the last year.") }
            print("Resource packs (remaining as the provider reports it: up to 12 h stale):")
            for status in statuses {
                let pack = status.pack
                print("  \(pack.name) (\(pack.id)), \(pack.statusText): \(status.used.decimalString) of \(pack.total.decimalString) units used, "
                    + "\(pack.remaining.decimalString) left; in force \(Timestamp.string(pack.effectiveAt)) to \(Timestamp.string(pack.expiresAt))")
                print("    the ledger charged \(status.ledgerUnits.decimalString) units while it was in force"
                    + (status.unusedAtExpiry.map { "; at this burn rate about \($0.decimalString) units expire unused" } ?? ""))
                for alert in status.raised { print("    alert: \(alert.message)") }
            }
        }
    }
}

/// `packs --json`.
struct PackJSON: Encodable {
    let id: String
    let name: String
    let status: String
    let total_units: String
    let remaining_units: String
    let used_units: String
    let ledger_units: String
    let effective_at: String
    let expires_at: String
    @Nullable var unused_at_expiry_units: String?
    let remaining_may_be_stale_hours: Int
    let alerts_raised: [String]

    init(_ status: PackStatus) {
        id = status.pack.id
        name = status.pack.name
        self.status = status.pack.statusText
        total_units = status.pack.total.decimalString
        remaining_units = status.pack.remaining.decimalString
        used_units = status.used.decimalString
        ledger_units = status.ledgerUnits.decimalString
        effective_at = Timestamp.string(status.pack.effectiveAt)
        expires_at = Timestamp.string(status.pack.expiresAt)
        unused_at_expiry_units = status.unusedAtExpiry?.decimalString
        remaining_may_be_stale_hours = 12
        alerts_raised = status.raised.map(\.message)
    }
}
