import ArgumentParser
import Foundation
import Pricing
import Ledger
import KlingAPI
import Gate
import KlingCore

/// `kling-ledger submit`: one job through the budget gate.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job through the budget gate: quote, hold against every budget, send, record.",
        discussion: """
            The quote is held against every budget that applies before anything is sent; a hard \
            budget without room refuses the job (exit 3) and nothing is sent. An invalid job is \
            refused (exit 64) and leaves nothing in the ledger. With --wait the task is polled \
            until it ends and settled to its real cost. Without it, the command returns once the \
            provider has created the task, and `kling-ledger sync` settles it later.

            Ctrl-C (or SIGTERM) stops cleanly: it says where the submission stands and how to go \
            on, and exits 130.

            An extension is billed as the video it extends: `--extend ID` extends a submission of \
            this ledger at its model and mode; `--kind extend --video-id V` looks V up in the \
            ledger, and needs --model and --mode when V is not there.

            Credentials come from the environment (KLING_ACCESS_KEY + KLING_SECRET_KEY or \
            KLING_API_KEY, PIXAZO_SUBSCRIPTION_KEY, ACEDATA_API_TOKEN, KKIAI_API_KEY).

            Examples:
              kling-ledger submit --prompt "a fox in the snow" --team video --wait
              kling-ledger submit --provider pixazo --prompt "a lighthouse" --dry-run
              kling-ledger submit --extend kl-mh1x2y-3f2a… --prompt "the fox runs on"
            """)

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var pricing: PricingOptions

    @Option(help: "The gateway to send the job to.")
    var provider: Provider = .kling

    @OptionGroup var job: JobOptions
    @OptionGroup var request: RequestOptions

    @Option(help: ArgumentHelp("Extend the video of this submission (priced at its model and mode).", valueName: "submission-id"))
    var extend: String?

    @Flag(help: "Wait for the task to end and settle it, with a progress line.")
    var wait = false

    @Option(parsing: .unconditional, help: ArgumentHelp("With --wait: give up waiting after this many seconds (the task goes on).", valueName: "seconds"))
    var timeout: Int?

    @Flag(help: "Quote and check the budgets only: nothing is held, sent or recorded.")
    var dryRun = false

    @Flag(help: "Print the submission as JSON (money as exact decimal strings).")
    var json = false

    func validate() throws {
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be a number of seconds above zero, not \(timeout)") }
        if timeout != nil, !wait { throw ValidationError("--timeout only applies with --wait") }
        if extend != nil, job.kind != .text2video, job.kind != .extend {
            throw ValidationError("--extend makes an extension: leave --kind out (or give --kind extend)")
        }
    }

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    private func execute() async throws {
        let gate = try gate(ledger, pricing)
        var submission = try request.request(provider: provider, priced: job)
        if let extend {
            submission.job.kind = .extend
            submission.extending = extend
        }
        if dryRun { return try report(gate.dryRun(submission)) }

        let progress = ProgressLine(quiet: json)
        // The trap is in place before the work starts, so no signal can arrive unhandled after the hold.
        let cancel = Cancellation()
        let trap = SignalTrap { _ in cancel.cancel() }
        defer { trap.release() }
        let work = Task { [submission, wait, timeout] in
            try await gate.submit(submission, wait: wait, timeout: timeout.map { Duration.seconds($0) }) { progress.update($0) }
        }
        cancel.set(work)
        let result: GateResult
        do {
            result = try await work.value
        } catch is CancellationError {
            progress.finish()
            throw CommandFailure(status: .interrupted, message: "interrupted before anything was held or sent")
        }
        progress.finish()

        if json {
            try printJSON(SubmitResultJSON(result))
        } else {
            if result.decision == .replayed {
                print("Replayed: this idempotency key was used for this same request before; this is that submission, nothing was sent again.")
            }
            print(SubmissionText.describe(result.submission))
            if result.interrupted { print(SubmissionText.interrupted(result.submission)) }
        }
        for warning in result.warnings { warn(warning.description) }
        if case .refusedByBudget(let refusal) = result.decision, !json {
            FileHandle.standardError.write(Data("Error: \(refusal)\n".utf8))
        }
        let stoppedWaiting = result.warnings.contains { if case .stoppedWaiting = $0 { true } else { false } }
        let status = result.interrupted ? .interrupted : result.submission.exitStatus(waited: wait, stoppedWaiting: stoppedWaiting)
        if status != .success { throw ExitCode(status.rawValue) }
    }

    private func report(_ dryRun: DryRun) throws {
        if json {
            struct Check: Encodable {
                let budget: Int64; let name: String; let limit_usd: String; let charged_usd: String; let held_usd: String; let fits: Bool; let enforcement: String
            }
            struct Output: Encodable { let quote: QuoteJSON; let quote_usd: String; let budgets: [Check]; let would_submit: Bool }
            try printJSON(Output(
                quote: QuoteJSON(quote: dryRun.quote), quote_usd: dryRun.quote.amount.decimalString,
                budgets: dryRun.budgets.map {
                    Check(budget: $0.id, name: $0.name, limit_usd: $0.spec.limit.decimalString, charged_usd: $0.charged.decimalString,
                          held_usd: $0.held.decimalString, fits: $0.fits(dryRun.quote.amount), enforcement: $0.spec.enforcement.rawValue)
                },
                would_submit: dryRun.refusal == nil))
        } else {
            print("Dry run: \(dryRun.quote.job.summary) would cost \(dryRun.quote.amount.formatted) (\(dryRun.quote.arithmetic)). Nothing held or sent.")
            for budget in dryRun.budgets {
                let verdict = budget.fits(dryRun.quote.amount) ? "fits" : (budget.spec.enforcement == .hard ? "REFUSES" : "over (soft: warns)")
                print("  budget \(budget.id) \(budget.name): limit \(budget.spec.limit.formatted), charged \(budget.charged.formatted), held \(budget.held.formatted) → \(verdict)")
            }
            if dryRun.budgets.isEmpty { print("  no budget applies") }
        }
        if let refusal = dryRun.refusal {
            if !json { FileHandle.standardError.write(Data("Error: \(refusal)\n".utf8)) }
            throw ExitCode(ExitStatus.refusedByBudget.rawValue)
        }
    }
}

/// Cancels a task that may not exist yet: a signal before it starts cancels it as it starts.
final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<GateResult, any Error>?
    private var cancelled = false

    func set(_ task: Task<GateResult, any Error>) {
        lock.lock()
        self.task = task
        let now = cancelled
        lock.unlock()
        if now { task.cancel() }
    }

    func cancel() {
        lock.lock()
        cancelled = true
        let task = self.task
        lock.unlock()
        task?.cancel()
    }
}
