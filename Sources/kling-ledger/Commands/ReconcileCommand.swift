import ArgumentParser
import Foundation
import Gate
import KlingCore
import Ledger
import Pricing
import Reports

/// `kling-ledger reconcile`: the ledger against the provider's own bill, task by task.
struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare the ledger with the provider's bill, task by task; --apply makes the ledger equal the bill.",
        discussion: """
            The official API's per-task deduction record (POST /account/billing/package, every \
            page, at most one request a second) is matched to the ledger by provider task id. \
            Resellers publish no billing endpoint: give the usage export you download from them \
            with --from-csv and name its columns. Every task lands in one class: agrees, differs, \
            billed but not in the ledger (spend that bypassed the gate), in the ledger but not \
            billed, or billed but still open in the ledger.

            Without --apply nothing is written and the command exits 6 when anything disagrees. \
            --apply settles the open ones from the provider's figures, adjusts the differences \
            (with a note), records bypassing spend as unattributed submissions (no team's budget \
            counts them) and keeps the findings for `kling-ledger report reconciliation`.

            Examples:
              kling-ledger reconcile --provider kling --month 2026-11
              kling-ledger reconcile --provider kling --month 2026-11 --output reconcile.csv --apply
              kling-ledger reconcile --provider pixazo --month 2026-11 --from-csv usage.csv --task-id-column "Task ID" --amount-column Cost
            """)

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var pricing: PricingOptions

    @Option(help: "The provider whose bill to reconcile.") var provider: Provider = .kling
    @OptionGroup var window: WindowOptions  // default: this month
    @Option(help: ArgumentHelp("A reseller's usage export (CSV) instead of the provider's billing endpoint.", valueName: "file")) var fromCSV: String?
    @Option(help: ArgumentHelp("With --from-csv: the column holding the provider's task id.", valueName: "name")) var taskIDColumn: String?
    @Option(help: ArgumentHelp("With --from-csv: the column holding the amount billed.", valueName: "name")) var amountColumn: String?
    @Option(help: ArgumentHelp("With --from-csv: the column holding when it was billed (optional).", valueName: "name")) var timeColumn: String?
    @Option(help: "With --from-csv: the currency of the amounts (only USD can be reconciled).") var currency = "USD"
    @Option(help: ArgumentHelp("Dollars per official unit for billed tasks the ledger has no quote for.", valueName: "usd")) var unitPrice: String?
    @Flag(help: "Make the ledger equal the bill (settle, adjust, record unattributed spend).") var apply = false
    @Option(help: ArgumentHelp("Write every task's line as CSV to this file (all or nothing).", valueName: "file")) var output: String?
    @Flag(help: "Print the summary and every line as JSON.") var json = false

    func validate() throws {
        if (window.since == nil) != (window.until == nil) { throw ValidationError("--since and --until go together") }
        if fromCSV == nil, provider != .kling {
            throw ValidationError("\(provider.displayName) publishes no billing endpoint: give its usage export with --from-csv FILE --task-id-column C --amount-column C")
        }
        if fromCSV != nil, taskIDColumn == nil || amountColumn == nil {
            throw ValidationError("--from-csv needs --task-id-column and --amount-column: the names of those columns in the export's header")
        }
    }

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    private func execute() async throws {
        let gate = try gate(ledger, pricing)
        let (start, end) = try bounds()
        let bill: [BilledTask]
        let source: String
        var pages = 0
        if let fromCSV {
            bill = try UsageExport.read(
                fromCSV, columns: .init(taskID: taskIDColumn ?? "", amount: amountColumn ?? "", time: timeColumn), currency: currency)
            source = "csv"
        } else {
            let counter = PageCounter(quiet: json)
            bill = try await gate.officialBill(from: start, to: end) { counter.add($0) }
            pages = counter.pages
            source = "billing"
        }
        let reconciliation = try gate.reconcile(
            provider: provider, source: source, bill: bill, from: start, to: end, unitPriceOverride: try UnitPrice.override(option: unitPrice))
        let lines = apply ? try gate.apply(reconciliation) : reconciliation.lines
        if let output { _ = try writeCSV(to: output) { try Self.write(lines, to: $0) } }
        if json {
            try printJSON(ReconciliationJSON(reconciliation, lines: lines, applied: apply))
        } else {
            print(Self.summary(reconciliation, pages: pages, rows: bill.count))
            if apply { print("Applied: the ledger now equals the bill for these tasks (kept for `kling-ledger report reconciliation`).") }
        }
        if !reconciliation.agrees, !apply {
            if !json { print("Not applied: run again with --apply to settle, adjust and record what differs.") }
            throw ExitCode(ExitStatus.disagrees.rawValue)
        }
    }

    /// `--month` (this month by default) or `--since`/`--until`, both given.
    private func bounds() throws -> (Date, Date) {
        let (start, end) = try window.bounds(timeZone: try ledger.open(.read).timeZone(), thisMonthByDefault: true)
        guard let start, let end else { throw ValidationError("--since and --until go together") }
        return (start, end)
    }

    static let names: [ReconciliationClass: String] = [
        .agrees: "agrees", .differs: "differs", .billedNotInLedger: "billed, not in ledger", .inLedgerNotBilled: "in ledger, not billed",
        .billedStillOpen: "billed, still open",
    ]

    static func summary(_ reconciliation: Reconciliation, pages: Int, rows: Int) -> String {
        let against = reconciliation.source == "billing" ? "the provider's deduction record (\(pages) page\(pages == 1 ? "" : "s"), \(rows) row\(rows == 1 ? "" : "s"))" : "the usage export (\(rows) row\(rows == 1 ? "" : "s"))"
        var lines = [
            "Reconciliation of \(reconciliation.provider.rawValue) from \(Timestamp.string(reconciliation.start)) to \(Timestamp.string(reconciliation.end)) against \(against):",
            "  class                    tasks  ledger       billed",
        ]
        let totals = reconciliation.totals
        for kind in ReconciliationClass.allCases {
            let total = totals[kind] ?? .init()
            lines.append(
                "  " + (names[kind] ?? kind.rawValue).padding(toLength: 23, withPad: " ", startingAt: 0)
                    + String(total.count).leftPadded(6) + "  " + total.ledger.formatted.padding(toLength: 11, withPad: " ", startingAt: 0)
                    + "  " + total.billed.formatted)
        }
        for line in reconciliation.lines where line.reconciliationClass != .agrees {
            lines.append("  \(names[line.reconciliationClass] ?? ""): task \(line.providerTaskID ?? "-")  \(line.submissionID ?? "-")  \(line.note)")
        }
        lines.append(reconciliation.agrees ? "Everything agrees." : "The ledger and the bill disagree.")
        return lines.joined(separator: "\n")
    }

    static func write(_ lines: [ReconciliationLine], to writer: CSVWriter) throws -> Int {
        for name in ["class", "provider_task_id", "submission_id", "ledger_usd", "billed_usd", "billed_units", "billed_at", "note"] {
            try writer.field(name)
        }
        try writer.endRecord()
        for line in lines {
            for value in [
                line.reconciliationClass.rawValue, line.providerTaskID, line.submissionID, line.ledger?.decimalString, line.billed?.decimalString,
                line.billedUnits?.decimalString, line.billedAt.map(Timestamp.string), line.note,
            ] { try writer.field(value) }
            try writer.endRecord()
        }
        try writer.flush()
        return lines.count
    }
}

/// Counts the pages of the bill as they arrive, and says so on a terminal.
final class PageCounter: @unchecked Sendable {
    private let lock = NSLock()
    private let quiet: Bool
    private(set) var pages = 0

    init(quiet: Bool) { self.quiet = quiet }

    func add(_ rows: Int) {
        lock.lock()
        pages += 1
        let count = pages
        lock.unlock()
        if !quiet { FileHandle.standardError.write(Data("read page \(count) of the deduction record (\(rows) rows)\n".utf8)) }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

/// `reconcile --json`.
struct ReconciliationJSON: Encodable {
    struct Total: Encodable { let count: Int; let ledger_usd: String; let billed_usd: String }
    struct Line: Encodable {
        let `class`: String
        @Nullable var provider_task_id: String?
        @Nullable var submission_id: String?
        @Nullable var ledger_usd: String?
        @Nullable var billed_usd: String?
        @Nullable var billed_units: String?
        @Nullable var billed_at: String?
        let note: String
    }
    let provider: String
    let source: String
    let period_start: String
    let period_end: String
    let agrees: Bool
    let applied: Bool
    let totals: [String: Total]
    let lines: [Line]

    init(_ reconciliation: Reconciliation, lines: [ReconciliationLine], applied: Bool) {
        provider = reconciliation.provider.rawValue
        source = reconciliation.source
        period_start = Timestamp.string(reconciliation.start)
        period_end = Timestamp.string(reconciliation.end)
        agrees = reconciliation.agrees
        self.applied = applied
        let totals = reconciliation.totals
        self.totals = Dictionary(uniqueKeysWithValues: ReconciliationClass.allCases.map { kind in
            let total = totals[kind] ?? .init()
            return (kind.rawValue, Total(count: total.count, ledger_usd: total.ledger.decimalString, billed_usd: total.billed.decimalString))
        })
        self.lines = lines.map {
            Line(
                class: $0.reconciliationClass.rawValue, provider_task_id: $0.providerTaskID, submission_id: $0.submissionID,
                ledger_usd: $0.ledger?.decimalString, billed_usd: $0.billed?.decimalString, billed_units: $0.billedUnits?.decimalString,
                billed_at: $0.billedAt.map(Timestamp.string), note: $0.note)
        }
    }
}
