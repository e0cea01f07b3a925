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
    /// The same key twice returns the first submission and sends nothing. Generated if `nil`.
    public var idempotencyKey: String?
    /// The organisation's unit price for official units, if not the table's list price.
    public var unitPriceOverride: UnitPrice?

    public init(
        job: VideoJob, team: String? = nil, project: String? = nil, user: String? = nil, tags: [String: String] = [:],
        idempotencyKey: String? = nil, unitPriceOverride: UnitPrice? = nil
    ) {
        self.job = job
        self.team = team
        self.project = project
        self.user = user
        self.tags = tags
        self.idempotencyKey = idempotencyKey
        self.unitPriceOverride = unitPriceOverride
    }
}

/// What the gate did with a request. The submission record is the truth; the rest explains it.
public struct GateResult: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Reserved and sent (its state says how far it got).
        case sent
        /// The idempotency key was used before: the first submission, nothing sent.
        case existing
        /// Refused by a hard budget: recorded as rejected, no money, nothing sent.
        case refusedByBudget(BudgetRefusal)
        /// Refused as invalid or unpriceable: recorded as rejected, no money, nothing sent.
        case invalid(String)
    }

    public let submission: SubmissionRecord
    public let decision: Decision
    /// Soft budgets gone over, waits that timed out, settlements postponed.
    public let warnings: [String]
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
