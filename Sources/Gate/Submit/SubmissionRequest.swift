import Foundation
import KlingAPI
import KlingCore
import Ledger
import Pricing

/// One job to submit through the gate, with who asked for it.
public struct SubmissionRequest: Sendable {
    public var job: VideoJob
    public var team: String?
    public var project: String?
    public var user: String?
    public var tags: [String: String]
    /// The same key twice returns the first submission and sends nothing; the same key with a
    /// different request is refused. Generated if `nil`.
    public var idempotencyKey: String?
    /// The organisation's unit price for official units, if not the table's list price.
    public var unitPriceOverride: UnitPrice?
    /// For an extension: the submission (in this ledger) whose video is extended. Its model and
    /// mode price the extension, as the provider bills it.
    public var extending: String?
    /// Set by the gateway, which relays callbacks: the job's `callback_url` is then the
    /// caller's, kept on the submission and posted to after each status change is recorded
    /// and settled, and the provider is given this address for the submission id instead
    /// (`nil`: none; the gateway learns of changes by polling).
    public var relayingCallbacks: (@Sendable (_ submissionID: String) -> String?)?

    public init(
        job: VideoJob, team: String? = nil, project: String? = nil, user: String? = nil, tags: [String: String] = [:],
        idempotencyKey: String? = nil, unitPriceOverride: UnitPrice? = nil, extending: String? = nil,
        relayingCallbacks: (@Sendable (_ submissionID: String) -> String?)? = nil
    ) {
        self.job = job
        self.team = team
        self.project = project
        self.user = user
        self.tags = tags
        self.idempotencyKey = idempotencyKey
        self.unitPriceOverride = unitPriceOverride
        self.extending = extending
        self.relayingCallbacks = relayingCallbacks
    }
}

/// What the gate did with a request. The submission record is the truth; the rest explains it.
public struct GateResult: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Reserved and sent (its state says how far it got).
        case sent
        /// The same request with the same idempotency key was submitted before: this is that
        /// submission, and nothing was sent again.
        case replayed
        /// Refused by a hard budget: recorded as rejected, no money, nothing sent.
        case refusedByBudget(BudgetRefusal)
    }

    public let submission: SubmissionRecord
    public let decision: Decision
    /// Soft budgets gone over, waits that timed out, settlements above their hold.
    public let warnings: [GateWarning]
    /// The caller cancelled the work (Ctrl-C): the submission stands where `submission` says.
    public let interrupted: Bool

    public init(submission: SubmissionRecord, decision: Decision, warnings: [GateWarning] = [], interrupted: Bool = false) {
        self.submission = submission
        self.decision = decision
        self.warnings = warnings
        self.interrupted = interrupted
    }

    /// How much the settled cost went over the money held for it, if it did.
    public var chargedAboveHold: USD? { submission.chargedAboveHold }
}

extension SubmissionRecord {
    /// How much the settled cost went over the quote held for it, if it did.
    public var chargedAboveHold: USD? {
        guard let cost = actualCost, let quote = quote?.amount, cost > quote else { return nil }
        return USD(micros: cost.micros - quote.micros)
    }
}

/// Something the caller should know about a submission that went through.
public enum GateWarning: Sendable, Equatable, CustomStringConvertible {
    /// A soft budget had no room: the job went ahead.
    case overSoftBudget(BudgetStatus)
    /// The task was settled above its hold: a hard budget may now be over its limit.
    case chargedAboveHold(quote: USD, cost: USD)
    /// The wait ended before the task did; `sync` settles it later.
    case stoppedWaiting(reason: String)
    /// The task ended but its cost cannot be worked out: its money stays held.
    case costUnknown(reason: String)

    public var description: String {
        switch self {
        case .overSoftBudget(let budget):
            "over soft budget \(budget.id), \(budget.name): limit \(budget.spec.limit.formatted), used \(budget.used.formatted) before this job"
        case .chargedAboveHold(let quote, let cost):
            "CHARGED ABOVE THE HOLD: the provider billed \(cost.formatted) for a job quoted and held at \(quote.formatted); "
                + "its hard budgets may now be over their limit (each raised an overrun alert). Check the price table"
        case .stoppedWaiting(let reason): "\(reason); `kling-ledger sync` settles it later"
        case .costUnknown(let reason): reason
        }
    }
}

/// Why the gate refused a request before recording anything: nothing held, sent or written.
public enum GateError: Error, Sendable, Equatable {
    /// The idempotency key belongs to another request.
    case idempotencyKeyReused(key: String, submission: String, differences: [String])
    /// An extension whose original video's model and mode are not known.
    case extensionNeedsOriginal(videoID: String, provider: Provider)
    /// An extension that names a model or mode other than its original video's.
    case extensionDiffersFromOriginal(original: String, model: String, mode: String?, given: String)
    /// The submission named by `--extend` cannot be extended.
    case cannotExtend(submission: String, reason: String)
    /// The submission's create has no recorded answer yet, so there is no task to read.
    case noTaskYet(submission: String)
}

extension GateError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .idempotencyKeyReused(let key, let submission, let differences):
            "the idempotency key \"\(key)\" was used by submission \(submission) for a different request (it differs in "
                + differences.joined(separator: ", ") + "); nothing was sent. Use a new key for a new request"
        case .extensionNeedsOriginal(let videoID, let provider):
            "video \(videoID) is not in this ledger, so the model it was made with is unknown, and \(provider.displayName) bills an "
                + "extension as that model and mode. Give both: --model and --mode of the original video "
                + "(e.g. --model kling-v1-6 --mode pro), or extend a submission of this ledger with --extend ID"
        case .extensionDiffersFromOriginal(let original, let model, let mode, let given):
            "submission \(original) made this video with \(model)\(mode.map { " \($0)" } ?? ""), and the provider bills its extension "
                + "as that: \(given) would quote it wrongly. Leave --model and --mode out"
        case .cannotExtend(let submission, let reason):
            "submission \(submission) cannot be extended: \(reason)"
        case .noTaskYet(let submission):
            "submission \(submission) has no provider task yet: its create is being sent, or its answer was lost (`kling-ledger sync` finds out)"
        }
    }
}

/// What `--dry-run` reports: the quote and every budget check, with nothing held or sent.
public struct DryRun: Sendable {
    public let quote: Quote
    public let budgets: [BudgetStatus]

    /// The first hard budget without room, if any.
    public var refusal: BudgetRefusal? {
        budgets.first { $0.spec.enforcement == .hard && !$0.fits(quote.amount) }.map { BudgetRefusal(budget: $0, quote: quote.amount) }
    }
}

/// Progress of one submission, for a live line on a terminal.
public enum SubmissionProgress: Sendable {
    case reserved(id: String, quote: USD)
    case sent(providerTaskID: String)
    case waiting(state: TaskSnapshot.State, elapsed: Duration)
}
