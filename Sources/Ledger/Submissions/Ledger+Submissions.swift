import Foundation
import KlingCore

extension Ledger {
    /// Records a submission and, when it is `pending` with a quote, its hold, in one durable
    /// transaction, without consulting budgets: the gate's `reserve` is the way in for jobs;
    /// this is for tests and imports.
    ///
    /// - Throws: `LedgerError`; on any error nothing is written.
    func record(_ submission: NewSubmission, at instant: Date = Date()) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            let now = Timestamp.string(instant)
            try connection.write { () throws(LedgerError) in
                try insertSubmission(submission, at: now)
                if submission.state == .pending, let quote = submission.quote {
                    try insertEntry(.hold, amount: quote.amount, submission: submission.id, note: nil, at: now)
                }
            }
        }
    }

    /// Inserts the submission row (no money), inside the caller's transaction.
    func insertSubmission(_ submission: NewSubmission, errorCode: String? = nil, errorMessage: String? = nil, at now: String) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            let tags = try encodeTags(submission.tags)
            let job = submission.job
            let quote = submission.quote
            try connection.run(
                """
                INSERT INTO submissions (
                    id, idempotency_key, provider, kind, model, mode, duration_seconds, sound, aspect_ratio,
                    team, project, user_name, tags, quote_micros, quote_units, unit_price_micros, unit_price_source,
                    price_table, price_version, price_rule, state, external_task_id, error_code, error_message, prompt, created_at, updated_at,
                    request_fingerprint, parent_id, sender_host, sender_pid, sender_started, relayed_callback_url)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(submission.id), .text(submission.idempotencyKey), .text(job.provider.rawValue),
                    .text(job.kind.rawValue), .text(job.model), .text(job.mode?.rawValue),
                    .integer(Int64(job.durationSeconds)), .integer(job.sound ? 1 : 0), .text(submission.aspectRatio),
                    .text(submission.team), .text(submission.project), .text(submission.user), .text(tags),
                    .integer(quote?.amount.micros), .text(quote?.units?.decimalString),
                    .integer(quote?.unitPrice?.micros), .text(quote?.unitPriceSource?.rawValue), .text(quote?.table), .text(quote?.version), .text(quote?.rule),
                    .text(submission.state.rawValue), .text(submission.externalTaskID), .text(errorCode), .text(errorMessage),
                    .text(submission.prompt), .text(now), .text(now),
                    .text(submission.requestFingerprint), .text(submission.parentID), .text(submission.sender?.host),
                    .integer(submission.sender.map { Int64($0.pid) }), .text(submission.sender?.started), .text(submission.relayedCallbackURL),
                ])
        }
    }

    /// Appends one money movement in its own transaction.
    public func append(
        _ kind: EntryKind, amount: USD, submission: String, note: String? = nil, at instant: Date = Date()
    ) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            try connection.write { () throws(LedgerError) in
                try insertEntry(kind, amount: amount, submission: submission, note: note, at: Timestamp.string(instant))
            }
        }
    }

    /// What entries hold (holds − releases) and have charged (charges + adjustments), as SQL
    /// sums over `entries` rows named `alias`: the one definition every balance uses.
    static func heldSum(_ alias: String = "entries") -> String {
        "coalesce(sum(CASE \(alias).kind WHEN 'hold' THEN \(alias).amount_micros WHEN 'release' THEN -\(alias).amount_micros ELSE 0 END), 0)"
    }

    static func chargedSum(_ alias: String = "entries") -> String {
        "coalesce(sum(CASE WHEN \(alias).kind IN ('charge', 'adjust') THEN \(alias).amount_micros ELSE 0 END), 0)"
    }

    /// What a submission holds and has been charged, summed from its entries.
    public func balance(ofSubmission id: String) throws(LedgerError) -> MoneyBalance {
        try serialized { () throws(LedgerError) in
            let sums = try connection.queryOne(
                "SELECT \(Self.heldSum()) AS held, \(Self.chargedSum()) AS charged FROM entries WHERE submission_id = ?", [.text(id)]
            ) { MoneyBalance(held: USD(micros: $0.int64("held")), charged: USD(micros: $0.int64("charged"))) }
            return sums ?? MoneyBalance(held: .zero, charged: .zero)
        }
    }

    /// The state of a submission, or `nil` if there is none with that id.
    public func state(ofSubmission id: String) throws(LedgerError) -> SubmissionState? {
        try serialized { () throws(LedgerError) in
            let text = try connection.queryOne("SELECT state FROM submissions WHERE id = ?", [.text(id)]) { $0.text(0) }
            guard let text else { return nil }
            guard let state = SubmissionState(rawValue: text) else { throw .corrupt("submission state \"\(text)\"") }
            return state
        }
    }

    /// Appends one money movement, and the alerts it raises, inside the caller's transaction.
    /// - Returns: the entry's id.
    @discardableResult
    func insertEntry(
        _ kind: EntryKind, amount: USD, submission: String, note: String?, at timestamp: String
    ) throws(LedgerError) -> Int64 {
        try serialized { () throws(LedgerError) in
            let entry = try connection.queryOne(
                "INSERT INTO entries (submission_id, kind, amount_micros, note, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                [.text(submission), .text(kind.rawValue), .integer(amount.micros), .text(note), .text(timestamp)]) { $0.int64("id") } ?? 0
            try raiseAlerts(afterEntry: entry, submission: submission, at: timestamp)
            return entry
        }
    }

    /// Tags as a JSON object with sorted keys, so equal tags are equal text.
    private func encodeTags(_ tags: [String: String]) throws(LedgerError) -> String {
        JSONValue.object(tags.mapValues(JSONValue.string)).text
    }
}

/// One movement of a submission's money, as the ledger recorded it.
public struct EntryRecord: Sendable, Equatable {
    public let id: Int64
    public let kind: EntryKind
    public let amount: USD
    public let note: String?
    public let createdAt: Date
}

extension Ledger {
    /// A submission's money movements, oldest first.
    public func entries(ofSubmission id: String) throws(LedgerError) -> [EntryRecord] {
        try serialized { () throws(LedgerError) in
            try connection.query(
                "SELECT id, kind, amount_micros, note, created_at FROM entries WHERE submission_id = ? ORDER BY id", [.text(id)]
            ) { row throws(LedgerError) in
                guard let kind = EntryKind(rawValue: row.text("kind")), let created = Timestamp.date(row.text("created_at")) else {
                    throw .corrupt("entry \(row.int64("id"))")
                }
                return EntryRecord(id: row.int64("id"), kind: kind, amount: USD(micros: row.int64("amount_micros")), note: row.optionalText("note"), createdAt: created)
            }
        }
    }
}
