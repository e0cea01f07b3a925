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
            budget without room refuses the job (exit 3) and nothing is sent. With --wait the \
            task is polled until it ends and settled to its real cost. Without it, \
            `kling-ledger sync` settles it later.

            Credentials come from the environment (KLING_ACCESS_KEY + KLING_SECRET_KEY or \
            KLING_API_KEY, PIXAZO_SUBSCRIPTION_KEY, ACEDATA_API_TOKEN, KKIAI_API_KEY).

            Examples:
              kling-ledger submit --prompt "a fox in the snow" --team video --wait
              kling-ledger submit --provider pixazo --prompt "a lighthouse" --dry-run
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The gateway to send the job to.")
    var provider: Provider = .kling

    @OptionGroup var job: JobOptions
    @OptionGroup var request: RequestOptions

    @Flag(help: "Wait for the task to end and settle it, with a progress line.")
    var wait = false

    @Option(help: ArgumentHelp("With --wait: give up waiting after this many seconds (the task goes on).", valueName: "seconds"))
    var timeout: Int?

    @Flag(help: "Quote and check the budgets only: nothing is held, sent or recorded.")
    var dryRun = false

    @Flag(help: "Print the submission as JSON (money as exact decimal strings).")
    var json = false

    func validate() throws {
        if job.at != nil { throw ValidationError("--at is for quotes; a submission is priced at the moment it is made") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be a number of seconds above zero") }
        if timeout != nil, !wait { throw ValidationError("--timeout only applies with --wait") }
    }

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    private func execute() async throws {
        let gate = try global.gate()
        let submission = try request.request(provider: provider, priced: job)
        if dryRun {
            try report(gate.dryRun(submission))
            return
        }
        let progress = ProgressLine()
        let onProgress: (@Sendable (SubmissionProgress) -> Void)? = json ? nil : { @Sendable in progress.update($0) }
        let result = try await gate.submit(submission, wait: wait, timeout: timeout.map { Duration.seconds($0) }, progress: onProgress)
        progress.finish()
        if json {
            try printJSON(SubmissionJSON(result.submission, warnings: result.warnings))
        } else {
            if result.decision == .existing { print("Idempotency key already used: this is the first submission, nothing was sent.") }
            print(SubmissionText.describe(result.submission))
        }
        for warning in result.warnings { FileHandle.standardError.write(Data("Warning: \(warning)\n".utf8)) }
        if case .refusedByBudget(let refusal) = result.decision {
            FileHandle.standardError.write(Data("Error: \(refusal)\n".utf8))
        }
        let code = result.submission.exitCode
        if code != 0 { throw ExitCode(code) }
    }

    private func report(_ dryRun: DryRun) throws {
        if json {
            struct Check: Encodable { let budget: Int64; let name: String; let limit_usd: String; let charged_usd: String; let held_usd: String; let fits: Bool; let enforcement: String }
            struct Output: Encodable { let quote_usd: String; let budgets: [Check]; let would_submit: Bool }
            try printJSON(Output(
                quote_usd: dryRun.quote.amount.decimalString,
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
            FileHandle.standardError.write(Data("Error: \(refusal)\n".utf8))
            throw ExitCode(ExitStatus.refusedByBudget)
        }
    }
}
