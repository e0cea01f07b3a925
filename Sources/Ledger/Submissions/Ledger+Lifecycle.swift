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
    case succeeded(cost: USD, finalUnitDeduction: String?, videoURLs: [String], note: String)
    /// Release the hold; nothing is charged.
    case failed(message: String)
}

extension Ledger {
    /// The gate's one transaction: checks every budget that applies (charged + held + this
    /// quote within each hard limit) and records the submission with its hold, or records the
    /// refusal. `BEGIN IMMEDIATE` makes concurrent reservations, even from other processes,
    /// take turns, so no interleaving can overspend a hard budget.
    public func reserve(_ submission: NewSubmission, at instant: Date = Date()) throws(LedgerError) -> Reservation {
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
            for (id, spec) in budgets {
                let period = spec.period.key(containing: instant, in: zone)
                try connection.run("INSERT OR IGNORE INTO budget_usage (budget_id, period_start) VALUES (?, ?)", [.integer(id), .text(period)])
                try connection.run(
                    "INSERT INTO budget_submissions (budget_id, period_start, submission_id) VALUES (?, ?, ?)",
                    [.integer(id), .text(period), .text(submission.id)])
            }
            try insertEntry(.hold, amount: quote, submission: submission.id, note: nil, at: now)
            return .reserved(try recorded(submission.id), overSoftBudgets: statuses.filter { !$0.fits(quote) })
        }
    }

    /// Records a job refused before any money was involved (invalid, or not priced), for the
    /// audit trail. An idempotency key used before returns the first submission instead.
    @discardableResult
    public func recordRejection(_ submission: NewSubmission, code: String, message: String, at instant: Date = Date()) throws(LedgerError) -> SubmissionRecord {
        try connection.write { () throws(LedgerError) in
            if let existing = try self.submission(idempotencyKey: submission.idempotencyKey) { return existing }
            var rejected = submission
            rejected.state = .rejected
            try insertSubmission(rejected, errorCode: code, errorMessage: message, at: Timestamp.string(instant))
            return try recorded(submission.id)
        }
    }

    // MARK: After sending

    /// The provider created the task: its id, and where it stands.
    @discardableResult
    public func markSent(_ id: String, providerTaskID: String, state: SubmissionState = .submitted, at instant: Date = Date()) throws(LedgerError) -> SubmissionRecord {
        try transition(id, from: [.pending, .unknown, .submitted, .processing], "record the provider's task id for") { () throws(LedgerError) in
            try connection.run(
                "UPDATE submissions SET state = ?, provider_task_id = ?, error_code = NULL, error_message = NULL, updated_at = ? WHERE id = ?",
                [.text(state.rawValue), .text(providerTaskID), .text(Timestamp.string(instant)), .text(id)])
        }
    }

    /// The provider definitively refused to create the task: the hold is released.
    @discardableResult
    public func markSendFailed(_ id: String, code: String?, message: String, at instant: Date = Date()) throws(LedgerError) -> SubmissionRecord {
        try transition(id, from: [.pending, .unknown], "mark as not sent") { () throws(LedgerError) in
            let now = Timestamp.string(instant)
            try releaseHeld(id, note: "not created: \(message)", at: now)
            try connection.run(
                "UPDATE submissions SET state = 'send_failed', error_code = ?, error_message = ?, updated_at = ? WHERE id = ?",
                [.text(code), .text(message), .text(now), .text(id)])
        }
    }

    /// The answer was lost: the task may exist, so the hold stays until it is resolved.
    @discardableResult
    public func markUnknown(_ id: String, code: String?, message: String, at instant: Date = Date()) throws(LedgerError) -> SubmissionRecord {
        try transition(id, from: [.pending, .unknown], "mark as unknown") { () throws(LedgerError) in
            try connection.run(
                "UPDATE submissions SET state = 'unknown', error_code = ?, error_message = ?, updated_at = ? WHERE id = ?",
                [.text(code), .text(message), .text(Timestamp.string(instant)), .text(id)])
        }
    }

    /// The task ended: charge its real cost (or nothing) and release the hold, in one transaction.
    @discardableResult
    public func settle(_ id: String, _ outcome: Settled, at instant: Date = Date()) throws(LedgerError) -> SubmissionRecord {
        try transition(id, from: [.pending, .submitted, .processing, .unknown], "settle") { () throws(LedgerError) in
            let now = Timestamp.string(instant)
            switch outcome {
            case .succeeded(let cost, let deduction, let urls, let note):
                // Release before charging: a budget never counts the quote and the cost of one
                // job at once, not even inside this transaction (its peak and alerts see each step).
                try releaseHeld(id, note: "settled", at: now)
                try insertEntry(.charge, amount: cost, submission: id, note: note, at: now)
                try connection.run(
                    """
                    UPDATE submissions SET state = 'succeeded', final_unit_deduction = ?, actual_cost_micros = ?, video_urls = ?,
                        error_code = NULL, error_message = NULL, updated_at = ? WHERE id = ?
                    """,
                    [.text(deduction), .integer(cost.micros), .text(Self.jsonArray(urls)), .text(now), .text(id)])
            case .failed(let message):
                try releaseHeld(id, note: "task failed: not billed", at: now)
                try connection.run(
                    "UPDATE submissions SET state = 'failed', final_unit_deduction = coalesce(final_unit_deduction, '0'), actual_cost_micros = 0, error_message = ?, updated_at = ? WHERE id = ?",
                    [.text(message), .text(now), .text(id)])
            }
        }
    }

    /// An operator closes an `unknown` submission by hand: the cost (if it succeeded) is an
    /// adjustment carrying the note, and the hold is released.
    @discardableResult
    public func resolveByHand(_ id: String, succeeded: Bool, cost: USD, note: String, at instant: Date = Date()) throws(LedgerError) -> SubmissionRecord {
        try transition(id, from: [.unknown], "resolve by hand") { () throws(LedgerError) in
            let now = Timestamp.string(instant)
            try releaseHeld(id, note: "resolved by hand: \(note)", at: now)
            if succeeded { try insertEntry(.adjust, amount: cost, submission: id, note: "resolved by hand: \(note)", at: now) }
            try connection.run(
                "UPDATE submissions SET state = ?, actual_cost_micros = ?, error_message = ?, updated_at = ? WHERE id = ?",
                [.text(succeeded ? "succeeded" : "failed"), .integer(succeeded ? cost.micros : 0), .text("resolved by hand: \(note)"), .text(now), .text(id)])
        }
    }

    // MARK: Helpers

    /// Runs a state change in one write transaction, if the submission is in one of `from`.
    private func transition(
        _ id: String, from allowed: Set<SubmissionState>, _ action: String, _ body: () throws(LedgerError) -> Void
    ) throws(LedgerError) -> SubmissionRecord {
        try connection.write { () throws(LedgerError) in
            guard let current = try submission(id: id) else { throw .conflict("there is no submission \(id)") }
            guard allowed.contains(current.state) else {
                throw .conflict("cannot \(action) submission \(id): it is \(current.state.rawValue)")
            }
            try body()
            return try recorded(id)
        }
    }

    private func recorded(_ id: String) throws(LedgerError) -> SubmissionRecord {
        guard let record = try submission(id: id) else { throw .corrupt("submission \(id) was not written") }
        return record
    }

    /// Releases whatever the submission still holds.
    private func releaseHeld(_ id: String, note: String, at now: String) throws(LedgerError) {
        let held = try connection.queryOne(
            "SELECT \(Self.heldSum()) FROM entries WHERE submission_id = ?",
            [.text(id)]) { $0.int64(0) } ?? 0
        if held > 0 { try insertEntry(.release, amount: USD(micros: held), submission: id, note: note, at: now) }
    }

    private static func jsonArray(_ strings: [String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(strings)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
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
