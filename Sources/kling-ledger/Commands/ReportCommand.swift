import ArgumentParser
import Foundation
import Ledger
import Reports

/// `kling-ledger report [NAME]`: runs a report definition and writes CSV, or lists them.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a monthly report as CSV, or list the reports.",
        discussion: """
            Reports are SQL files: the bundled ones (monthly, items, budgets, focus) and any *.sql \
            in --reports DIR (or $KLING_LEDGER_REPORTS), which win on a name clash. A month runs \
            from its first instant to the next month's in the ledger's time zone; a submission \
            belongs to the month its hold was placed in.

            Examples:
              kling-ledger report
              kling-ledger report monthly --month 2026-11 --by team,provider
              kling-ledger report items --month 2026-11 --output items-2026-11.csv
              kling-ledger report focus --month 2026-11 --output focus.csv
            """)

    @OptionGroup var ledgerOptions: LedgerOptions
    @Argument(help: "The report to run; leave out to list them.") var name: String?
    @Option(help: ArgumentHelp("The month, as YYYY-MM. Default: the current month.", valueName: "YYYY-MM")) var month: String?
    @Option(help: ArgumentHelp("Group by these dimensions (reports that have them): team, project, user, provider, model, mode, tag:KEY.", valueName: "d1,d2,…"))
    var by: String?
    @Option(help: ArgumentHelp("Write the CSV to this file (all or nothing) instead of standard output.", valueName: "file")) var output: String?
    @Option(help: ArgumentHelp("A folder of one's own *.sql report definitions.", valueName: "dir")) var reports: String?
    @Flag(help: "With no report name: list the reports as JSON. (A report itself is always CSV.)") var json = false

    func validate() throws {
        do {
            if let month { _ = try ReportMonth(month) }
            if let by { _ = try Grouping(parsing: by) }
        } catch {
            throw ValidationError(error.errorDescription ?? "\(error)")
        }
        if name != nil, json { throw ValidationError("--json lists the reports; a report itself is CSV (leave out --json, or the name)") }
        if name == nil, month != nil || by != nil || output != nil {
            throw ValidationError("--month, --by and --output need a report name; `kling-ledger report` lists them")
        }
    }

    func run() throws {
        try reportingFailures {
            let catalog = try ReportCatalog(folder: reports)
            guard let name else { return try list(catalog) }
            let report = try catalog.definition(named: name)
            let grouping = try by.map { text throws(ReportError) in try Grouping(parsing: text) }
            let ledger = try ledgerOptions.open(.read)
            let chosenMonth = try month.map { text throws(ReportError) in try ReportMonth(text) } ?? ReportMonth(containing: Date(), in: try ledger.timeZone())
            let rows = try writeCSV(to: output) { writer in
                try ReportRunner.run(report, on: ledger, month: chosenMonth, grouping: grouping, into: writer)
            }
            if let output {
                FileHandle.standardError.write(Data("report \(name) for \(chosenMonth): \(rows) row\(rows == 1 ? "" : "s") written to \(output)\n".utf8))
            }
        }
    }

    private func list(_ catalog: ReportCatalog) throws {
        let definitions = try catalog.definitions()
        if json {
            struct Definition: Encodable { let name: String; let summary: String; let dimensions: [String]; let file: String }
            return try printJSON(definitions.map { Definition(name: $0.name, summary: $0.summary, dimensions: $0.dimensions, file: $0.file.path) })
        }
        let width = definitions.map(\.name.count).max() ?? 0
        for definition in definitions {
            var line = definition.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + definition.summary
            if !definition.dimensions.isEmpty {
                line += " [--by: \(definition.dimensions.map { $0 == "tag" ? "tag:KEY" : $0 }.joined(separator: ", "))]"
            }
            if let own = catalog.folders.first, catalog.folders.count > 1, definition.file.path.hasPrefix(own.path) {
                line += " (from \(own.path))"
            }
            print(line)
        }
    }
}
