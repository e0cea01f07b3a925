import ArgumentParser
import Foundation
import Pricing
import KlingAPI
import Gate
import KlingCore
import Ledger
import Reports

/// `kling-ledger status [ID]`: one submission, or the open ones.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show one submission, or every open one (pending, submitted, processing, unknown).")

    @OptionGroup var ledger: LedgerOptions

    @Argument(help: "The submission id (kl-…); all open submissions if left out.")
    var id: String?

    @Flag(help: "Print JSON: one submission, or an array.")
    var json = false

    func run() throws {
        try reportingFailures {
            let store = try ledger.open(.read)
            if let id {
                guard let record = try store.submission(id: id) else {
                    throw LedgerError.notFound("there is no submission \(id) in \(store.location); `kling-ledger list` shows them")
                }
                if json { try printJSON(SubmissionJSON(record)) } else { print(SubmissionText.describe(record)) }
                return
            }
            let open = try store.openSubmissions()
            if json { try printJSON(open.map { SubmissionJSON($0) }) } else {
                print(open.isEmpty ? "No open submissions." : open.map(SubmissionText.describe).joined(separator: "\n"))
            }
        }
    }
}

/// `kling-ledger list`: submissions, filtered.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List submissions, oldest first.",
        discussion: "Example: kling-ledger list --month 2026-11 --team video --provider kling --limit 20")

    @OptionGroup var ledger: LedgerOptions

    @OptionGroup var window: WindowOptions

    @Option(help: "Only this team.")
    var team: String?

    @Option(help: "Only this provider.")
    var provider: Provider?

    @Option(help: "Only this state: pending, submitted, processing, succeeded, failed, rejected, send_failed, unknown.")
    var state: String?

    @Option(parsing: .unconditional, help: "At most this many (the oldest first).")
    var limit: Int?

    @Flag(help: "Print JSON (an array).")
    var json = false

    func validate() throws {
        if let state, SubmissionState(rawValue: state) == nil {
            throw ValidationError("--state \"\(state)\" is not a state; use one of \(SubmissionState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let limit, limit <= 0 { throw ValidationError("--limit must be a number above zero, not \(limit)") }
    }

    func run() throws {
        try reportingFailures {
            let store = try ledger.open(.read)
            let (start, end) = try window.bounds(timeZone: try store.timeZone())
            let records = try store.submissions(
                createdFrom: start, until: end, team: team, state: state.flatMap(SubmissionState.init(rawValue:)), provider: provider, limit: limit)
            if json { try printJSON(records.map { SubmissionJSON($0) }) } else {
                print(records.isEmpty ? "No submissions." : records.map(SubmissionText.line).joined(separator: "\n"))
            }
        }
    }
}

/// `kling-ledger sync`: reconcile open submissions with their providers.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Poll every open submission, settle finished ones, resolve unknown ones, and print what changed.",
        discussion: """
            An unknown submission (answer lost) is looked up by its id, sent as external_task_id: \
            found, it is adopted and settled; provably absent, its hold is released. A pending \
            submission whose sending process has ended (or, sent from another host, is older than \
            --pending-grace) is treated the same way. What sync cannot settle — the provider \
            cannot look a task up by our id, or no longer knows a task — stays `unknown` with its \
            hold, and sync exits 5 until `kling-ledger resolve` closes it. Exit 69 when a provider \
            could not be asked.
            """)

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var pricing: PricingOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds before a pending submission from another host counts as abandoned.", valueName: "seconds"))
    var pendingGrace: Int = 600

    @Flag(help: "Print JSON (an array of changes).")
    var json = false

    func validate() throws {
        if pendingGrace < 0 { throw ValidationError("--pending-grace must be zero or more seconds, not \(pendingGrace)") }
    }

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    private func execute() async throws {
        let changes = try await gate(ledger, pricing).sync(pendingGrace: .seconds(pendingGrace))
        if json {
            struct Change: Encodable { let id: String; let before: String; let after: SubmissionJSON; let needs_person: Bool; let updated: Bool; let note: String }
            try printJSON(changes.map {
                Change(id: $0.before.id, before: $0.before.state.rawValue, after: SubmissionJSON($0.after), needs_person: $0.outcome == .needsPerson,
                       updated: $0.outcome != .notUpdated, note: $0.note)
            })
        } else {
            if changes.isEmpty { print("Nothing open: every submission is settled.") }
            for change in changes {
                let arrow = change.before.state == change.after.state ? change.after.state.rawValue : "\(change.before.state.rawValue) → \(change.after.state.rawValue)"
                print("\(change.before.id)  \(arrow)  \(change.note)")
            }
        }
        let people = changes.filter { $0.outcome == .needsPerson }.count
        if people > 0 {
            if !json { warn("\(people) submission\(people == 1 ? "" : "s") need\(people == 1 ? "s" : "") a person: follow the advice above") }
            throw ExitCode(ExitStatus.needsPerson.rawValue)
        }
        if changes.contains(where: { $0.outcome == .notUpdated }) { throw ExitCode(ExitStatus.unavailable.rawValue) }
    }
}

/// `kling-ledger resolve ID --succeeded|--failed`: a person closes an open submission.
struct ResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Close an open submission by hand (pending, submitted, processing or unknown), as an adjustment with a note.",
        discussion: """
            For a submission `sync` cannot settle: check the task at the provider (its dashboard \
            or bill), then say how it ended. --succeeded charges --cost (default: the quote); \
            --failed releases the hold and charges nothing. --task-id records the provider's \
            task id so the bill can be matched later.

            Example: kling-ledger resolve kl-mh1x2y-3f2a… --succeeded --cost 0.35 --task-id 8a2f… --note "billed on the Pixazo dashboard"
            """)

    @OptionGroup var ledger: LedgerOptions

    @Argument(help: "The submission id.")
    var id: String

    @Flag(help: "The task ran and was billed (cost: --cost, else the quote).")
    var succeeded = false

    @Flag(help: "The task never ran or was not billed: release the hold.")
    var failed = false

    @Option(parsing: .unconditional, help: ArgumentHelp("What the provider really billed, in USD, e.g. 0.70.", valueName: "usd"))
    var cost: String?

    @Option(help: ArgumentHelp("The provider's task id, when known.", valueName: "id"))
    var taskID: String?

    @Option(help: "Why, for the audit trail.")
    var note: String = "resolved by an operator"

    @Flag(help: "Print the submission as JSON.")
    var json = false

    func validate() throws {
        guard succeeded != failed else { throw ValidationError("say how it ended: exactly one of --succeeded or --failed") }
        if let cost {
            guard succeeded else { throw ValidationError("--cost only applies with --succeeded") }
            guard let amount = USD(cost), amount >= .zero else { throw ValidationError("--cost \"\(cost)\" is not an amount in USD such as 0.70") }
        }
    }

    func run() throws {
        try reportingFailures {
            let record = try ledger.open(.write).resolve(id, succeeded: succeeded, cost: cost.flatMap { USD($0) }, note: note, providerTaskID: taskID)
            if json { try printJSON(SubmissionJSON(record)) } else { print(SubmissionText.describe(record)) }
        }
    }
}
