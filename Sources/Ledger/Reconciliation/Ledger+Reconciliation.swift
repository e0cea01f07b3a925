import Foundation
import KlingCore

/// How one task of a provider's bill compares with the ledger.
public enum ReconciliationClass: String, CaseIterable, Sendable, Codable {
    /// Charged = billed, to the micro-dollar.
    case agrees
    /// Both sides have it; the amounts differ.
    case differs
    /// Billed, but no submission has the task: spend that bypassed the gate, or a lost record.
    case billedNotInLedger = "billed_not_in_ledger"
    /// Charged in the ledger, but the provider has no deduction for it.
    case inLedgerNotBilled = "in_ledger_not_billed"
    /// Billed, and the submission is still open in the ledger: settle it.
    case billedStillOpen = "billed_still_open"
}

/// One line of a reconciliation as the ledger keeps it.
public struct ReconciliationLine: Sendable, Equatable {
    public var reconciliationClass: ReconciliationClass
    public var providerTaskID: String?
    public var submissionID: String?
    /// What the ledger charged (`nil` when it has no such submission).
    public var ledger: USD?
    /// What the provider billed, in USD (`nil` when it billed nothing).
    public var billed: USD?
    /// The provider's units, for unit-billed providers.
    public var billedUnits: Units?
    public var billedAt: Date?
    public var note: String

    public init(
        reconciliationClass: ReconciliationClass, providerTaskID: String?, submissionID: String?, ledger: USD?, billed: USD?,
        billedUnits: Units?, billedAt: Date?, note: String
    ) {
        self.reconciliationClass = reconciliationClass
        self.providerTaskID = providerTaskID
        self.submissionID = submissionID
        self.ledger = ledger
        self.billed = billed
        self.billedUnits = billedUnits
        self.billedAt = billedAt
        self.note = note
    }
}

extension Ledger {
    /// Records spend the provider billed that no submission accounts for, as an `unattributed`
    /// submission: no team, project or user (so no team's budget counts it), counted by the
    /// budgets of every team and of its provider, in the period it was billed. Its money is a
    /// hold and its release (the ledger's invariant: nothing is charged that was not held) and
    /// an adjustment carrying `note`. Keyed by the provider's task id: recording it twice
    /// returns the first.
    @discardableResult
    public func recordUnattributed(
        provider: Provider, taskID: String, model: String?, mode: Mode?, durationSeconds: Int, cost: USD, units: Units?,
        unitPrice: USD?, unitPriceSource: UnitPriceSource = .table, billedAt: Date, note: String, at instant: Date = Date()
    ) throws(LedgerError) -> SubmissionRecord {
        try serialized { () throws(LedgerError) in
            let key = "reconcile:\(provider.rawValue):\(taskID)"
            if let existing = try submission(idempotencyKey: key) { return existing }
            guard cost > .zero else { throw .conflict("billed task \(taskID) costs nothing: there is nothing to record") }
            let id = "kl-unattributed-\(provider.rawValue)-\(taskID)"
            let job = BillableJob(provider: provider, kind: .text2video, model: model, mode: mode, durationSeconds: max(durationSeconds, 1), sound: false)
            let quote = QuotedPrice(
                amount: cost, units: unitPrice == nil ? nil : units, unitPrice: units == nil ? nil : unitPrice,
                unitPriceSource: units != nil && unitPrice != nil ? unitPriceSource : nil, table: "(the provider's bill)", version: "reconcile",
                rule: "billed, not submitted through the gate")
            let draft = NewSubmission(
                id: id, idempotencyKey: key, job: job, tags: ["unattributed": "billed, not submitted through the gate"], quote: quote,
                state: .pending, externalTaskID: nil, prompt: nil)
            let zone = try timeZone()
            let billed = Timestamp.string(billedAt)
            let now = Timestamp.string(instant)
            return try connection.write { () throws(LedgerError) -> SubmissionRecord in
                try insertSubmission(draft, at: billed)
                // Only the budgets of everyone and of the provider count it: it belongs to no team.
                try openPeriods(of: try applicableBudgets(provider: provider, team: nil, project: nil, user: nil), holding: billedAt, timeZone: zone)
                try insertEntry(.hold, amount: cost, submission: id, note: "reconciliation: \(note)", at: now)
                try insertEntry(.release, amount: cost, submission: id, note: "reconciliation: \(note)", at: now)
                try insertEntry(.adjust, amount: cost, submission: id, note: "reconciliation: \(note)", at: now)
                try connection.run(
                    """
                    UPDATE submissions SET state = \(SubmissionState.succeeded.sql), provider_task_id = ?, final_unit_deduction = ?, actual_cost_micros = ?,
                        error_message = ?, updated_at = ? WHERE id = ?
                    """, [.text(taskID), .text(units?.decimalString), .integer(cost.micros), .text(note), .text(now), .text(id)])
                guard let record = try submission(id: id) else { throw .corrupt("submission \(id) was not written") }
                return record
            }
        }
    }

    /// Adjusts a submission's charge by `amount` (a signed correction, with a note), only if it
    /// is still charged `expected`: checked and written in one transaction, so two processes
    /// applying the same finding adjust it once.
    /// - Returns: whether it was adjusted.
    @discardableResult
    public func adjust(_ id: String, by amount: USD, ifCharged expected: USD, note: String, at instant: Date = Date()) throws(LedgerError) -> Bool {
        try serialized { () throws(LedgerError) in
            try connection.write { () throws(LedgerError) -> Bool in
                guard try balance(ofSubmission: id).charged == expected else { return false }
                try insertEntry(.adjust, amount: amount, submission: id, note: note, at: Timestamp.string(instant))
                return true
            }
        }
    }

    /// The submission that has a provider's task id, or `nil`.
    public func submission(providerTaskID: String, provider: Provider) throws(LedgerError) -> SubmissionRecord? {
        try serialized { () throws(LedgerError) in
            try submissions(where: "s.provider = ? AND s.provider_task_id = ?", [.text(provider.rawValue), .text(providerTaskID)]).first
        }
    }

    /// Keeps a reconciliation's findings (before they were applied), for the report.
    /// - Returns: its id.
    @discardableResult
    public func recordReconciliation(
        provider: Provider, source: String, from start: Date, to end: Date, lines: [ReconciliationLine], at instant: Date = Date()
    ) throws(LedgerError) -> Int64 {
        try serialized { () throws(LedgerError) in
            try connection.write { () throws(LedgerError) -> Int64 in
                let id = try connection.queryOne(
                    "INSERT INTO reconciliations (provider, source, period_start, period_end, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                    [.text(provider.rawValue), .text(source), .text(Timestamp.string(start)), .text(Timestamp.string(end)),
                     .text(Timestamp.string(instant))]) { $0.int64("id") } ?? 0
                for (index, line) in lines.enumerated() {
                    try connection.run(
                        """
                        INSERT INTO reconciliation_lines (reconciliation_id, line, class, provider_task_id, submission_id, ledger_micros,
                            billed_micros, billed_units, billed_at, note)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                        [.integer(id), .integer(Int64(index + 1)), .text(line.reconciliationClass.rawValue), .text(line.providerTaskID),
                         .text(line.submissionID), .integer(line.ledger?.micros), .integer(line.billed?.micros),
                         .text(line.billedUnits?.decimalString), .text(line.billedAt.map(Timestamp.string)), .text(line.note)])
                }
                return id
            }
        }
    }

    /// The official units the ledger charged for submissions made in `[start, end)`.
    public func officialUnitsCharged(from start: Date, to end: Date) throws(LedgerError) -> Units {
        try serialized { () throws(LedgerError) in
            let millionths = try connection.queryOne(
                """
                SELECT coalesce(sum(unit_millionths(final_unit_deduction)), 0) FROM submissions
                WHERE provider = 'kling' AND state = \(SubmissionState.succeeded.sql) AND created_at >= ? AND created_at < ?
                """, [.text(Timestamp.string(start)), .text(Timestamp.string(end))]) { $0.int64(0) } ?? 0
            return Units(millionths: millionths)
        }
    }
}
