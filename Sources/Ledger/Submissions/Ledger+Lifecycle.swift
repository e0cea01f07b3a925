import Foundation
import KlingCore

/// What `reserve` did with a submission.
public enum Reservation: Sendable, Equatable {
    /// Recorded as `pending` with its hold, durably, before anything is sent. Lists the soft
    /// budgets the quote goes over (allowed, with a warning).
    case reserved(SubmissionRecord, overSoftBudgets: [BudgetStatus])
    /// A hard budget has no room for the quote: recorded as `rejected`, no money moved.
    case refused(SubmissionRecord, budget: BudgetStatus)
    /// The idempotency key was used before: the first submission, unchanged, nothing new.
    case existing(SubmissionRecord)
}

/// How a task ended, as the ledger settles it.
public enum Settled: Sendable, Equatable {
    /// Charge the real cost and release the hold.
    case succeeded(cost: USD, finalUnitDeduction: String?, videos: [DeliveredVideoRecord], note: String)
    /// Release the hold; nothing is charged.
    case failed(message: String)
}

extension Ledger {
    /// The gate's one transaction: checks every budget that applies (charged + held + this
    /// quote within each hard limit) and records the submission with its hold, or records the
    /// refusal. `BEGIN IMMEDIATE` makes concurrent reservations, even from other processes,
    /// take turns, so no interleaving can overspend a hard budget.
    public func reserve(_ submission: NewSubmission, at instant: Date = Date()) throws(LedgerError) -> Reservation {
        try serialized { () throws(LedgerError) in
            guard let quote = submission.quote?.amount else { throw .conflict("a submission needs a quote to be reserved") }
            let zone = try timeZone()
            let now = Timestamp.string(instant)
            return try connection.write { () throws(LedgerError) -> Reservation in
                if let existing = try self.submission(idempotencyKey: submission.idempotencyKey) { return .existing(existing) }
                let budgets = try applicableBudgets(
                    provider: submission.job.provider, team: submission.team, project: submission.project, user: submission.user)
                let statuses = try budgets.map { (id, spec) throws(LedgerError) in try usage(of: id, spec: spec, at: instant, timeZone: zone) }
                if let full = statuses.first(where: { $0.spec.enforcement == .hard && !$0.fits(quote) }) {
                    var rejected = submission
                    rejected.state = .rejected
                    try insertSubmission(rejected, errorCode: "budget", errorMessage: BudgetRefusal(budget: full, quote: quote).description, at: now)
                    return .refused(try recorded(submission.id), budget: full)
                }
                var pending = submission
                pending.state = .pending
                try insertSubmission(pending, at: now)
                try openPeriods(of: budgets, holding: instant, timeZone: zone)
                try insertEntry(.hold, amount: quote, submission: submission.id, note: nil, at: now)
                return .reserved(try recorded(submission.id), overSoftBudgets: statuses.filter { !$0.fits(quote) })
            }
        }
    }

    /// Opens each budget's period holding `instant`, inside the caller's transaction, before
    /// the submission's first entry: budgets count every submission in their scope (the
    /// `budget_submissions` rule), in the period row that holds its `created_at`.
    func openPeriods(of budgets: [(Int64, BudgetSpec)], holding instant: Date, timeZone: TimeZone) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            for (id, spec) in budgets {
                let period = spec.period.key(containing: instant, in: timeZone)
                try connection.run("INSERT INTO budget_usage (budget_id, period_start) VALUES (?, ?) ON CONFLICT DO NOTHING", [.integer(id), .text(period)])
            }
        }
    }

    // MARK: After sending

    /// The provider created the task: its id, and where it stands.
    @discardableResult
    public func markSent(_ id: String, providerTaskID: String, state: SubmissionState = .submitted, at instant: Date = Date()) throws(LedgerError) -> SubmissionRecord {
        try serialized { () throws(LedgerError) in
            try transition(id, from: [.pending, .unknown, .submitted, .processing], "record the provider's task id for") { () throws(LedgerError) in
                try connection.run(
                    "UPDATE submissions SET state = ?, provider_task_id = ?, error_code = NULL, error_message = NULL, updated_at = ? WHERE id = ?",
                    [.text(state.rawValue), .text(providerTaskID), .text(Timestamp.string(instant)), .text(id)])
            }
        }
    }

    /// The provider definitively refused to create the task: the hold is released.
    @discardableResult
    public func markSendFailed(_ id: String, code: String?, message: String, at instant: Date = Date()) throws(LedgerError) -> SubmissionRecord {
        try serialized { () throws(LedgerError) in
            try transition(id, from: [.pending, .unknown], "mark as not sent") { () throws(LedgerError) in
                let now = Timestamp.string(instant)
                try releaseHeld(id, note: "not created: \(message)", at: now)
                try connection.run(
                    "UPDATE submissions SET state = \(SubmissionState.sendFailed.sql), error_code = ?, error_message = ?, updated_at = ? WHERE id = ?",
                    [.text(code), .text(message), .text(now), .text(id)])
            }
        }
    }

    /// The outcome cannot be learnt automatically: the answer to the create was lost, the
    /// sender died before recording one, or the provider no longer knows the task. The task may
    /// exist and be billed, so the hold stays until `resolve` (or a later sync) closes it.
    @discardableResult
    public func markUnknown(_ id: String, code: String?, message: String, at instant: Date = Date()) throws(LedgerError) -> SubmissionRecord {
        try serialized { () throws(LedgerError) in
            try transition(id, from: SubmissionState.open, "mark as unknown") { () throws(LedgerError) in
                try connection.run(
                    "UPDATE submissions SET state = \(SubmissionState.unknown.sql), error_code = ?, error_message = ?, updated_at = ? WHERE id = ?",
                    [.text(code), .text(message), .text(Timestamp.string(instant)), .text(id)])
            }
        }
    }

    /// The task ended: charge its real cost (or nothing) and release the hold, in one transaction.
    @discardableResult
    public func settle(_ id: String, _ outcome: Settled, at instant: Date = Date()) throws(LedgerError) -> SubmissionRecord {
        try serialized { () throws(LedgerError) in
            try transition(id, from: [.pending, .submitted, .processing, .unknown], "settle") { () throws(LedgerError) in
                let now = Timestamp.string(instant)
                switch outcome {
                case .succeeded(let cost, let deduction, let videos, let note):
                    // Release before charging: a budget never counts the quote and the cost of one
                    // job at once, not even inside this transaction (its peak and alerts see each step).
                    let held = try releaseHeld(id, note: "settled", at: now)
                    let charge = try insertEntry(.charge, amount: cost, submission: id, note: note, at: now)
                    if cost.micros > held, held > 0 {
                        try raiseOverrunAlerts(afterCharge: charge, submission: id, cost: cost.micros, held: held, at: now)
                    }
                    try connection.run(
                        """
                        UPDATE submissions SET state = \(SubmissionState.succeeded.sql), final_unit_deduction = ?, actual_cost_micros = ?, video_urls = ?,
                            video_ids = ?, error_code = NULL, error_message = NULL, updated_at = ? WHERE id = ?
                        """,
                        [.text(deduction), .integer(cost.micros), .text(Self.jsonArray(videos.map(\.url))),
                         .text(Self.jsonArray(videos.compactMap(\.id))), .text(now), .text(id)])
                case .failed(let message):
                    try releaseHeld(id, note: "task failed: not billed", at: now)
                    try connection.run(
                        "UPDATE submissions SET state = \(SubmissionState.failed.sql), final_unit_deduction = coalesce(final_unit_deduction, '0'), actual_cost_micros = 0, error_message = ?, updated_at = ? WHERE id = ?",
                        [.text(message), .text(now), .text(id)])
                }
            }
        }
    }

    /// A person closes an open submission by hand, as an adjustment with a note. A success
    /// costs `cost` (the quote if not given); a failure costs nothing. A pending submission
    /// whose sender is still running on this host is refused: it may be sending it right now.
    @discardableResult
    public func resolve(
        _ id: String, succeeded: Bool, cost: USD? = nil, note: String, providerTaskID: String? = nil, at instant: Date = Date()
    ) throws(LedgerError) -> SubmissionRecord {
        try serialized { () throws(LedgerError) in
            guard let record = try submission(id: id) else {
                throw .notFound("there is no submission \(id) in \(location); `kling-ledger list` shows them")
            }
            if record.state == .pending, let sender = record.sender, sender.liveness == .alive {
                throw .conflict(
                    "submission \(id) is being sent by process \(sender.pid) on this host right now; wait for it to finish, or stop it, then run sync")
            }
            let amount = succeeded ? (cost ?? record.quote?.amount ?? .zero) : .zero
            return try resolveByHand(id, succeeded: succeeded, cost: amount, note: note, providerTaskID: providerTaskID, at: instant)
        }
    }

    /// An operator closes an open submission by hand: the cost (if it succeeded) is an
    /// adjustment carrying the note, and the hold is released. The provider's task id, when the
    /// operator knows it, is recorded so that the bill can be matched later.
    @discardableResult
    public func resolveByHand(
        _ id: String, succeeded: Bool, cost: USD, note: String, providerTaskID: String? = nil, at instant: Date = Date()
    ) throws(LedgerError) -> SubmissionRecord {
        try serialized { () throws(LedgerError) in
            try transition(id, from: SubmissionState.open, "resolve by hand") { () throws(LedgerError) in
                let now = Timestamp.string(instant)
                try releaseHeld(id, note: "resolved by hand: \(note)", at: now)
                if succeeded { try insertEntry(.adjust, amount: cost, submission: id, note: "resolved by hand: \(note)", at: now) }
                try connection.run(
                    """
                    UPDATE submissions SET state = ?, actual_cost_micros = ?, error_message = ?,
                        provider_task_id = coalesce(?, provider_task_id), updated_at = ? WHERE id = ?
                    """,
                    [.text(succeeded ? "succeeded" : "failed"), .integer(succeeded ? cost.micros : 0), .text("resolved by hand: \(note)"),
                     .text(providerTaskID), .text(now), .text(id)])
            }
        }
    }

    // MARK: Helpers

    /// Runs a state change in one write transaction, if the submission is in one of `from`.
    private func transition(
        _ id: String, from allowed: Set<SubmissionState>, _ action: String, _ body: () throws(LedgerError) -> Void
    ) throws(LedgerError) -> SubmissionRecord {
        try connection.write { () throws(LedgerError) in
            // Only the state decides; the whole record is read once, after the change.
            guard let state = try state(ofSubmission: id) else {
                throw .notFound("there is no submission \(id) in \(location); `kling-ledger list` shows them")
            }
            guard allowed.contains(state) else {
                let settled = state.isOpen ? "" : " and settled: nothing is left to close"
                throw .conflict("cannot \(action) submission \(id): it is \(state.rawValue)\(settled)")
            }
            try body()
            return try recorded(id)
        }
    }

    private func recorded(_ id: String) throws(LedgerError) -> SubmissionRecord {
        guard let record = try submission(id: id) else { throw .corrupt("submission \(id) was not written") }
        return record
    }

    /// Releases whatever the submission still holds (its balance, which its entries' trigger
    /// keeps equal to their sum).
    /// - Returns: the amount released, in micro-dollars.
    @discardableResult
    private func releaseHeld(_ id: String, note: String, at now: String) throws(LedgerError) -> Int64 {
        let held = try connection.queryOne("SELECT balance_held_micros FROM submissions WHERE id = ?", [.text(id)]) { $0.int64(0) } ?? 0
        if held > 0 { try insertEntry(.release, amount: USD(micros: held), submission: id, note: note, at: now) }
        return held
    }

    private static func jsonArray(_ strings: [String]) -> String {
        JSONValue.array(strings.map(JSONValue.string)).text
    }
}

/// Why a hard budget refused a quote: which budget, its limit, charged, held, the quote and
/// what remains.
public struct BudgetRefusal: Sendable, Equatable, CustomStringConvertible {
    public let budget: BudgetStatus
    public let quote: USD

    public init(budget: BudgetStatus, quote: USD) {
        self.budget = budget
        self.quote = quote
    }

    public var description: String {
        let remaining = max(budget.remaining.micros, 0)
        return "refused by budget \(budget.id), \(budget.name): limit \(budget.spec.limit.formatted), charged \(budget.charged.formatted), "
            + "held \(budget.held.formatted), this job \(quote.formatted), remaining \(USD(micros: remaining).formatted)"
    }
}
