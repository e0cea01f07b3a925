import ArgumentParser
import Foundation
import KlingCore
import Ledger

/// `kling-ledger ledger`: a ledger as a whole.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Work on a ledger as a whole: copy a team's history into the shared ledger.",
        subcommands: [Copy.self])

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy every row of a ledger into a new, empty one, and check the totals before keeping it.",
            discussion: """
                Moves a team's history from its SQLite file to the shared PostgreSQL ledger (or \
                back): submissions, entries, budgets and their running totals, alerts and their \
                deliveries, reconciliations, gateway keys and callback deliveries. All of it is \
                written in one transaction, kept only if the row counts and the money totals \
                (held, charged, and every budget's running totals) match on both sides. A target \
                that already holds anything is refused, so nothing is merged or counted twice; \
                the source is only read.

                Example: kling-ledger ledger copy --from ledger.sqlite --to postgres://kling@db.internal:5432/ledger
                """)

        @Option(help: ArgumentHelp("The ledger to copy: a file, or a PostgreSQL URL.", valueName: "path-or-url")) var from: String
        @Option(help: ArgumentHelp("A new, empty ledger: a file, or a PostgreSQL URL (an empty database).", valueName: "path-or-url"))
        var to: String
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard Ledger.displayName(from) != Ledger.displayName(to) else { throw ValidationError("--from and --to name the same ledger") }
        }

        func run() throws {
            try reportingFailures {
                let source = try Ledger(path: from, access: .read)
                let target = try Ledger(path: to, access: .create)
                let copy = try source.copy(to: target)
                if json { return try printJSON(CopyJSON(copy, from: source.location, to: target.location)) }
                print("Copied \(source.location) into \(target.location):")
                for table in copy.tables where table.rows > 0 {
                    print("  \(table.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(table.rows)")
                }
                print("Checked: the same rows and the same money on both sides (held $\(copy.held.decimalString), charged $\(copy.charged.decimalString)).")
                print("Point --ledger (or KLING_LEDGER_DB) at \(target.location) to use it.")
            }
        }
    }
}

private struct CopyJSON: Encodable {
    let from: String
    let to: String
    let tables: [String: Int]
    let held_usd: String
    let charged_usd: String

    init(_ copy: LedgerCopy, from: String, to: String) {
        self.from = from
        self.to = to
        self.tables = Dictionary(uniqueKeysWithValues: copy.tables.map { ($0.name, $0.rows) })
        self.held_usd = copy.held.decimalString
        self.charged_usd = copy.charged.decimalString
    }
}
