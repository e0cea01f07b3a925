import Foundation

/// One status change of a gateway caller's task, to be posted to its `callback_url`. Queued by
/// the ledger itself when the state is recorded (migration 8), so it is there whichever
/// process recorded the change, and only once per status.
public struct CallbackDelivery: Sendable, Equatable {
    /// The statuses a caller hears of: the create's answer already told it `submitted`.
    public enum Status: String, Sendable, Equatable {
        case processing, succeeded, failed
    }

    /// The submission as it stands now (possibly past `status`).
    public let submission: SubmissionRecord
    public let status: Status
    public let url: String
    /// Attempts so far, this one included once claimed.
    public let attempts: Int
    public let queuedAt: Date
    public let deliveredAt: Date?
    /// Why the last attempt failed (never the URL).
    public let lastError: String?
    /// `nil` once delivered, or given up after its last attempt.
    public let nextAttemptAt: Date?
}

extension Ledger {
    private static let callbackColumns = "d.status, d.attempts, d.queued_at, d.delivered_at, d.last_error, d.next_attempt_at"

    /// Claims up to `limit` deliveries that are due, leasing them for `lease` so that another
    /// process does not post them meanwhile. A task's final status waits until its
    /// `processing` one is delivered or given up, so a caller hears them in order.
    public func claimCallbacks(at instant: Date = Date(), lease: Duration = .seconds(60), limit: Int = 16) throws(LedgerError) -> [CallbackDelivery] {
        try serialized { () throws(LedgerError) in
            let now = Timestamp.string(instant)
            let until = Timestamp.string(instant.addingTimeInterval(TimeInterval(lease.components.seconds)))
            let processing = "'\(CallbackDelivery.Status.processing.rawValue)'"
            return try connection.write { () throws(LedgerError) in
                let due = try connection.query(
                    """
                    SELECT d.submission_id, d.status FROM callback_deliveries d
                    WHERE d.delivered_at IS NULL AND d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= ?
                        AND (d.leased_until IS NULL OR d.leased_until <= ?)
                        AND NOT (d.status <> \(processing) AND EXISTS (
                            SELECT 1 FROM callback_deliveries p WHERE p.submission_id = d.submission_id AND p.status = \(processing)
                                AND p.delivered_at IS NULL AND p.next_attempt_at IS NOT NULL))
                    ORDER BY d.next_attempt_at LIMIT ?
                    """, [.text(now), .text(now), .integer(Int64(limit))]
                ) { ($0.text("submission_id"), $0.text("status")) }
                var claimed: [CallbackDelivery] = []
                for (submission, status) in due {
                    try connection.run(
                        "UPDATE callback_deliveries SET leased_until = ?, attempts = attempts + 1 WHERE submission_id = ? AND status = ?",
                        [.text(until), .text(submission), .text(status)])
                    claimed += try callbackDeliveries(where: "d.submission_id = ? AND d.status = ?", [.text(submission), .text(status)])
                }
                return claimed
            }
        }
    }

    /// The caller acknowledged it: never posted again.
    public func recordCallbackDelivered(_ delivery: CallbackDelivery, at instant: Date = Date()) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            try connection.write { () throws(LedgerError) in
                try connection.run(
                    """
                    UPDATE callback_deliveries SET delivered_at = ?, leased_until = NULL, last_error = NULL, next_attempt_at = NULL
                    WHERE submission_id = ? AND status = ? AND delivered_at IS NULL
                    """, [.text(Timestamp.string(instant)), .text(delivery.submission.id), .text(delivery.status.rawValue)])
            }
        }
    }

    /// The attempt failed: tried again at `retryAt`, or given up when it is `nil`.
    public func recordCallbackFailed(_ delivery: CallbackDelivery, reason: String, retryAt: Date?) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            try connection.write { () throws(LedgerError) in
                try connection.run(
                    """
                    UPDATE callback_deliveries SET leased_until = NULL, last_error = ?, next_attempt_at = ?
                    WHERE submission_id = ? AND status = ? AND delivered_at IS NULL
                    """, [.text(reason), .text(retryAt.map(Timestamp.string)), .text(delivery.submission.id), .text(delivery.status.rawValue)])
            }
        }
    }

    /// A submission's deliveries, oldest first.
    public func callbackDeliveries(ofSubmission id: String) throws(LedgerError) -> [CallbackDelivery] {
        try serialized { () throws(LedgerError) in
            try callbackDeliveries(where: "d.submission_id = ?", [.text(id)])
        }
    }

    private func callbackDeliveries(where condition: String, _ values: [SQLValue]) throws(LedgerError) -> [CallbackDelivery] {
        let rows = try connection.query(
            "SELECT d.submission_id, \(Self.callbackColumns) FROM callback_deliveries d WHERE \(condition) ORDER BY d.queued_at, CASE d.status WHEN 'processing' THEN 0 ELSE 1 END", values
        ) { row throws(LedgerError) -> (String, CallbackDelivery.Status, Int, Date, Date?, String?, Date?) in
            guard let status = CallbackDelivery.Status(rawValue: row.text("status")), let queued = Timestamp.date(row.text("queued_at")) else {
                throw .corrupt("callback delivery of submission \(row.text("submission_id"))")
            }
            return (
                row.text("submission_id"), status, Int(row.int64("attempts")), queued, row.optionalText("delivered_at").flatMap(Timestamp.date),
                row.optionalText("last_error"), row.optionalText("next_attempt_at").flatMap(Timestamp.date)
            )
        }
        var deliveries: [CallbackDelivery] = []
        for (id, status, attempts, queued, delivered, lastError, next) in rows {
            guard let submission = try submission(id: id), let url = submission.relayedCallbackURL else {
                throw .corrupt("callback delivery of submission \(id) without a callback address")
            }
            deliveries.append(
                CallbackDelivery(
                    submission: submission, status: status, url: url, attempts: attempts, queuedAt: queued, deliveredAt: delivered,
                    lastError: lastError, nextAttemptAt: next))
        }
        return deliveries
    }
}
