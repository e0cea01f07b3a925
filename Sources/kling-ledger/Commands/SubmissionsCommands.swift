import ArgumentParser
import Foundation
import Pricing
import KlingAPI
import Gate
import KlingCore
import Ledger

/// `kling-ledger status [ID]`: one submission, or the open ones.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show one submission, or every open one (pending, submitted, processing, unknown).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The submission id (kl-…); all open submissions if left out.")
    var id: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let ledger = try global.openLedger()
            if let id {
                guard let record = try ledger.submission(id: id) else {
                    throw LedgerError.conflict("there is no submission \(id) in \(ledger.path); `kling-ledger list` shows them")
                }
                if json { try printJSON(SubmissionJSON(record)) } else { print(SubmissionText.describe(record)) }
                return
            }
            let open = try ledger.openSubmissions()
            if json { try printJSON(open.map { SubmissionJSON($0) }) } else {
                print(open.isEmpty ? "No open submissions." : open.map(SubmissionText.describe).joined(separator: "\n"))
            }
        }
    }
}

/// `kling-ledger list`: submissions, filtered.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List submissions, oldest first.")

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only this calendar month (UTC), e.g. 2026-11.", valueName: "yyyy-mm"))
    var month: String?

    @Option(help: "Only this team.")
    var team: String?

    @Option(help: "Only this state: pending, submitted, processing, succeeded, failed, rejected, send_failed, unknown.")
    var state: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if let month, Self.monthBounds(month) == nil { throw ValidationError("--month \"\(month)\" must be yyyy-mm, e.g. 2026-11") }
        if let state, SubmissionState(rawValue: state) == nil {
            throw ValidationError("--state \"\(state)\" is not a state; use one of \(SubmissionState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        try reportingFailures {
            let bounds = month.flatMap(Self.monthBounds)
            let records = try global.openLedger().submissions(
                createdFrom: bounds?.start, until: bounds?.end, team: team, state: state.flatMap(SubmissionState.init(rawValue:)))
            if json { try printJSON(records.map { SubmissionJSON($0) }) } else {
                print(records.isEmpty ? "No submissions." : records.map(SubmissionText.line).joined(separator: "\n"))
            }
        }
    }

    static func monthBounds(_ text: String) -> (start: Date, end: Date)? {
        guard let start = Date(iso8601OrDay: text + "-01") else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let end = calendar.date(byAdding: .month, value: 1, to: start) else { return nil }
        return (start, end)
    }
}

/// `kling-ledger sync`: reconcile open submissions with their providers.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Poll every open submission, settle finished ones, resolve unknown ones, and print what changed.",
        discussion: """
            An unknown submission (answer lost) is looked up by its id, sent as external_task_id: \
            found, it is adopted and settled; provably absent, its hold is released; when the \
            provider cannot tell, the hold stays and `kling-ledger resolve` closes it by hand. \
            A pending submission older than --pending-grace (its process died before sending) is \
            treated the same way.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Seconds before a pending submission counts as abandoned.", valueName: "seconds"))
    var pendingGrace: Int = 600

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    private func execute() async throws {
        let changes = try await global.gate().sync(pendingGrace: .seconds(max(0, pendingGrace)))
        if json {
            struct Change: Encodable { let id: String; let before: String; let after: SubmissionJSON; let note: String }
            try printJSON(changes.map { Change(id: $0.before.id, before: $0.before.state.rawValue, after: SubmissionJSON($0.after), note: $0.note) })
            return
        }
        if changes.isEmpty { print("Nothing open: every submission is settled.") }
        for change in changes {
            let arrow = change.before.state == change.after.state ? change.after.state.rawValue : "\(change.before.state.rawValue) → \(change.after.state.rawValue)"
            print("\(change.before.id)  \(arrow)  \(change.note)")
        }
    }
}

/// `kling-ledger resolve ID --succeeded|--failed`: an operator closes an unknown submission.
struct ResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Close an unknown submission by hand, recorded as an adjustment with a note.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The submission id.")
    var id: String

    @Flag(help: "The task ran and was billed (cost: --cost, else the quote).")
    var succeeded = false

    @Flag(help: "The task never ran or was not billed: release the hold.")
    var failed = false

    @Option(help: ArgumentHelp("What the provider really billed, in USD, e.g. 0.70.", valueName: "usd"))
    var cost: String?

    @Option(help: "Why, for the audit trail.")
    var note: String = "resolved by an operator"

    func validate() throws {
        guard succeeded != failed else { throw ValidationError("say how it ended: exactly one of --succeeded or --failed") }
        if let cost {
            guard succeeded else { throw ValidationError("--cost only applies with --succeeded") }
            guard let amount = USD(cost), amount >= .zero else { throw ValidationError("--cost \"\(cost)\" is not an amount in USD such as 0.70") }
        }
    }

    func run() throws {
        try reportingFailures {
            let record = try global.gate().resolve(id, succeeded: succeeded, cost: cost.flatMap { USD($0) }, note: note)
            print(SubmissionText.describe(record))
        }
    }
}
