import ArgumentParser
import Foundation
import KlingCore
import Pricing

/// `kling-ledger pricing`: the price tables in force.
struct PricingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pricing",
        abstract: "Inspect the price tables.",
        subcommands: [List.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Show each table: file, source, settlement basis and versions with their effective dates.")

        @OptionGroup var pricing: PricingOptions

        @Flag(help: "Print the tables as JSON.")
        var json = false

        func run() throws {
            try reportingFailures {
                let book = try pricing.priceBook()
                let tables = Provider.allCases.compactMap { book.tables[$0] }
                let now = Date()
                if json {
                    try printJSON(tables.map { TableJSON(table: $0, now: now) })
                    return
                }
                print("Price tables in \(book.folder):")
                for table in tables {
                    let current = table.version(at: now)
                    print("")
                    print("\(table.provider.rawValue) — \(table.provider.displayName)\(table.estimated ? " — ESTIMATED" : "")")
                    print("  file:       \(table.file)")
                    print("  settlement: \(table.settlement == .finalUnitDeduction ? "final_unit_deduction × unit price" : "table applied to delivered videos")")
                    print("  source:     \(table.source)")
                    for version in table.versions {
                        var line = "  version \(version.id): from \(version.effectiveFrom.iso8601)"
                        if let until = version.effectiveUntil { line += " until \(until.iso8601)" }
                        line += ", \(version.rules.count) rule\(version.rules.count == 1 ? "" : "s")"
                        if let price = version.unitPrice { line += ", unit price \(price.formatted)" }
                        if version.id == current?.id { line += "  (in force)" }
                        print(line)
                    }
                }
                let missing = Provider.allCases.filter { book.tables[$0] == nil }
                if !missing.isEmpty {
                    print("\nNo table (jobs refused): \(missing.map(\.rawValue).joined(separator: ", "))")
                }
            }
        }
    }
}

/// `pricing list --json`.
struct TableJSON: Encodable {
    let provider: String
    let file: String
    let source: String
    let estimated: Bool
    let settlement: String
    let versions: [Version]

    struct Version: Encodable {
        let id: String
        let effective_from: String
        let effective_until: String?
        let rules: Int
        let unit_price_usd: String?
        let in_force: Bool
    }

    init(table: PriceTable, now: Date) {
        provider = table.provider.rawValue
        file = table.file
        source = table.source
        estimated = table.estimated
        settlement = table.settlement.rawValue
        let current = table.version(at: now)?.id
        versions = table.versions.map {
            Version(
                id: $0.id, effective_from: $0.effectiveFrom.iso8601,
                effective_until: $0.effectiveUntil?.iso8601, rules: $0.rules.count,
                unit_price_usd: $0.unitPrice?.decimalString, in_force: $0.id == current)
        }
    }
}
