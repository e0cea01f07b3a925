import Foundation
import KlingCore

extension Ledger {
    // MARK: Raising

    /// Raises the alerts an entry's movement calls for, inside the entry's own transaction:
    /// every threshold the usage of each of the submission's budgets has reached, and the
    /// forecast when the period's burn rate reaches the limit before the period ends. The unique
    /// key (budget, period, kind, percent) keeps each to one row, whoever writes at once; each new
    /// alert is queued in the outbox for every target that wants it.
    func raiseAlerts(afterEntry entry: Int64, submission: String, at timestamp: String) throws(LedgerError) {
        guard let now = Timestamp.date(timestamp) else { throw .corrupt("timestamp \(timestamp)") }
        let zone = try timeZone()
        let budgets = try connection.query(
            """
            SELECT b.id, b.scope, b.scope_value, b.period, b.limit_micros, b.thresholds, u.period_start, u.charged_micros, u.held_micros
            FROM budget_submissions bs
            JOIN budget_usage u ON u.budget_id = bs.budget_id AND u.period_start = bs.period_start
            JOIN budgets b ON b.id = bs.budget_id
            WHERE bs.submission_id = ? AND b.removed_at IS NULL
            """, [.text(submission)]
        ) { row in
            (id: row.int64(0), scope: row.text(1), team: row.optionalText(2), period: row.text(3), limit: row.int64(4),
             thresholds: row.text(5), periodStart: row.text(6), charged: row.int64(7), held: row.int64(8))
        }
        for budget in budgets {
            guard let thresholds = try? JSONDecoder().decode([Int].self, from: Data(budget.thresholds.utf8)),
                let period = BudgetPeriod(rawValue: budget.period)
            else { throw .corrupt("budget \(budget.id)") }
            let usage = AlertUsage(limit: budget.limit, charged: budget.charged, held: budget.held)
            for percent in thresholds where usage.reaches(percent: percent) {
                try insertAlert(.threshold, percent: percent, budget: budget.id, scope: budget.scope, team: budget.team,
                               periodStart: budget.periodStart, usage: usage, projected: nil, entry: entry, at: timestamp)
            }
            if let start = Timestamp.date(budget.periodStart), let end = period.end(startingAt: start, in: zone),
                let projected = usage.projectedExhaustion(periodStart: start, periodEnd: end, now: now)
            {
                try insertAlert(.forecast, percent: 100, budget: budget.id, scope: budget.scope, team: budget.team,
                               periodStart: budget.periodStart, usage: usage, projected: projected, entry: entry, at: timestamp)
            }
        }
    }

    /// Raises an overrun alert on each hard budget of a submission whose charge exceeded its
    /// hold: the budget may now be over its limit although every hold fitted, and its owner
    /// should know why. Once per budget and charge.
    func raiseOverrunAlerts(afterCharge entry: Int64, submission: String, cost: Int64, held: Int64, at timestamp: String) throws(LedgerError) {
        let budgets = try connection.query(
            """
            SELECT b.id, b.scope, b.scope_value, b.limit_micros, u.period_start, u.charged_micros, u.held_micros
            FROM budget_submissions bs
            JOIN budget_usage u ON u.budget_id = bs.budget_id AND u.period_start = bs.period_start
            JOIN budgets b ON b.id = bs.budget_id
            WHERE bs.submission_id = ? AND b.removed_at IS NULL AND b.enforcement = 'hard'
            """, [.text(submission)]
        ) { row in (row.int64(0), row.text(1), row.optionalText(2), row.int64(3), row.text(4), row.int64(5), row.int64(6)) }
        let percent = Int(clamping: Int128(cost) * 100 / Int128(max(held, 1)))
        for (id, scope, team, limit, periodStart, charged, heldNow) in budgets {
            try insertAlert(.overrun, percent: max(percent, 1), budget: id, scope: scope, team: team, periodStart: periodStart,
                            usage: AlertUsage(limit: limit, charged: charged, held: heldNow), projected: nil, entry: entry, at: timestamp)
        }
    }

    /// Inserts one alert unless it was raised before, and queues it for every target that wants it.
    private func insertAlert(
        _ kind: Alert.Kind, percent: Int, budget: Int64, scope: String, team: String?, periodStart: String,
        usage: AlertUsage, projected: Date?, entry: Int64, at timestamp: String
    ) throws(LedgerError) {
        let raised = try connection.queryOne(
            """
            INSERT INTO alerts (budget_id, period_start, kind, percent, limit_micros, charged_micros, held_micros,
                projected_at, entry_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            RETURNING id
            """,
            [.integer(budget), .text(periodStart), .text(kind.rawValue), .integer(Int64(percent)),
             .integer(usage.limit), .integer(usage.charged), .integer(usage.held),
             .text(projected.map(Timestamp.string)), .integer(entry), .text(timestamp)]
        ) { $0.int64(0) }
        guard let raised else { return }  // raised before: exactly once
        try connection.run(
            """
            INSERT INTO alert_deliveries (alert_id, target_id, next_attempt_at)
            SELECT ?, id, ? FROM alert_targets
            WHERE removed_at IS NULL AND (team IS NULL OR (? = 'team' AND team = ?))
            """, [.integer(raised), .text(timestamp), .text(scope), .text(team)])
    }

    // MARK: Reading

    /// Alerts, newest first.
    public func alerts(limit: Int = 100) throws(LedgerError) -> [Alert] {
        let zone = try timeZone()
        return try connection.query(
            "SELECT \(Self.alertColumns) \(Self.alertJoins) ORDER BY a.id DESC LIMIT ?", [.integer(Int64(limit))]
        ) { row throws(LedgerError) in try Self.alert(row, timeZone: zone) }
    }

    /// Every delivery of the given alerts, oldest alert first.
    public func deliveries(ofAlerts ids: [Int64]) throws(LedgerError) -> [AlertDelivery] {
        guard !ids.isEmpty else { return [] }
        let zone = try timeZone()
        let list = ids.map(String.init).joined(separator: ",")
        return try connection.query(
            "SELECT \(Self.deliveryColumns) \(Self.deliveryJoins) WHERE d.alert_id IN (\(list)) ORDER BY d.alert_id, d.target_id", []
        ) { row throws(LedgerError) in try Self.delivery(row, timeZone: zone) }
    }

    // MARK: Targets

    /// Adds a webhook target. It receives the alerts raised from now on.
    /// - Parameter team: only this team's budgets; `nil` for every budget.
    @discardableResult
    public func addAlertTarget(_ address: WebhookAddress, team: String?, format: AlertFormat, at instant: Date = Date()) throws -> AlertTarget {
        if case .url(let text) = address { try WebhookAddress.check(text) }
        let (url, variable): (String?, String?) =
            switch address {
            case .url(let text): (text, nil)
            case .environment(let name): (nil, name)
            }
        let id = try connection.write { () throws(LedgerError) -> Int64 in
            try connection.run(
                "INSERT INTO alert_targets (url, url_variable, team, format, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(url), .text(variable), .text(team), .text(format.rawValue), .text(Timestamp.string(instant))])
            return connection.lastInsertRowID
        }
        guard let target = try alertTarget(id: id) else { throw LedgerError.corrupt("alert target \(id) vanished") }
        return target
    }

    /// Stops a target from receiving alerts, undelivered ones included. Its history stays.
    public func removeAlertTarget(id: Int64, at instant: Date = Date()) throws -> AlertTarget {
        guard let target = try alertTarget(id: id) else { throw AlertTargetError.noSuchTarget(id) }
        try connection.write { () throws(LedgerError) in
            try connection.run("UPDATE alert_targets SET removed_at = ? WHERE id = ?", [.text(Timestamp.string(instant)), .integer(id)])
        }
        return target
    }

    /// The targets in force.
    public func alertTargets() throws(LedgerError) -> [AlertTarget] {
        try connection.query("SELECT \(Self.targetColumns) FROM alert_targets t WHERE t.removed_at IS NULL ORDER BY t.id", []) {
            row throws(LedgerError) in try Self.target(row, at: 0)
        }
    }

    /// One target in force.
    public func alertTarget(id: Int64) throws(LedgerError) -> AlertTarget? {
        try connection.queryOne(
            "SELECT \(Self.targetColumns) FROM alert_targets t WHERE t.removed_at IS NULL AND t.id = ?", [.integer(id)]
        ) { row throws(LedgerError) in try Self.target(row, at: 0) }
    }

    // MARK: The outbox

    /// Claims the deliveries due at `instant` (all undelivered ones if `ignoringSchedule`) for
    /// this process: each is leased for `lease` and its attempt counted, in one transaction, so a
    /// concurrent process never sends the same one. A lease that runs out (its process died
    /// mid-send) makes the delivery claimable again.
    public func claimDeliveries(at instant: Date = Date(), lease: Duration = .seconds(60), ignoringSchedule: Bool = false, limit: Int = 100) throws(LedgerError) -> [AlertDelivery] {
        let now = Timestamp.string(instant)
        let until = Timestamp.string(instant.addingTimeInterval(TimeInterval(lease.components.seconds)))
        let zone = try timeZone()
        let due = "d.delivered_at IS NULL AND t.removed_at IS NULL AND (d.leased_until IS NULL OR d.leased_until <= ?)"
            + (ignoringSchedule ? "" : " AND d.next_attempt_at <= ?")
        let values: [SQLValue] = ignoringSchedule ? [.text(now)] : [.text(now), .text(now)]
        return try connection.write { () throws(LedgerError) in
            let keys = try connection.query(
                "SELECT d.alert_id, d.target_id \(Self.deliveryJoins) WHERE \(due) ORDER BY d.alert_id LIMIT ?", values + [.integer(Int64(limit))]
            ) { ($0.int64(0), $0.int64(1)) }
            var claimed: [AlertDelivery] = []
            for (alert, target) in keys {
                try connection.run(
                    "UPDATE alert_deliveries SET leased_until = ?, attempts = attempts + 1 WHERE alert_id = ? AND target_id = ?",
                    [.text(until), .integer(alert), .integer(target)])
                claimed += try connection.query(
                    "SELECT \(Self.deliveryColumns) \(Self.deliveryJoins) WHERE d.alert_id = ? AND d.target_id = ?", [.integer(alert), .integer(target)]
                ) { row throws(LedgerError) in try Self.delivery(row, timeZone: zone) }
            }
            return claimed
        }
    }

    /// Whether any delivery is due at `instant`: a cheap read before claiming.
    public func hasDueDeliveries(at instant: Date = Date()) throws(LedgerError) -> Bool {
        try connection.queryOne(
            "SELECT 1 \(Self.deliveryJoins) WHERE d.delivered_at IS NULL AND t.removed_at IS NULL AND d.next_attempt_at <= ? LIMIT 1",
            [.text(Timestamp.string(instant))]) { _ in true } ?? false
    }

    /// The target acknowledged the alert: it is never sent to it again.
    public func recordDelivered(_ delivery: AlertDelivery, at instant: Date = Date()) throws(LedgerError) {
        try connection.write { () throws(LedgerError) in
            try connection.run(
                """
                UPDATE alert_deliveries SET delivered_at = ?, leased_until = NULL, last_error = NULL
                WHERE alert_id = ? AND target_id = ? AND delivered_at IS NULL
                """, [.text(Timestamp.string(instant)), .integer(delivery.alert.id), .integer(delivery.target.id)])
        }
    }

    /// The attempt failed: the lease is given back and the next attempt is due at `retryAt`.
    public func recordDeliveryFailed(_ delivery: AlertDelivery, reason: String, retryAt: Date) throws(LedgerError) {
        try connection.write { () throws(LedgerError) in
            try connection.run(
                """
                UPDATE alert_deliveries SET leased_until = NULL, last_error = ?, next_attempt_at = ?
                WHERE alert_id = ? AND target_id = ? AND delivered_at IS NULL
                """, [.text(reason), .text(Timestamp.string(retryAt)), .integer(delivery.alert.id), .integer(delivery.target.id)])
        }
    }

    // MARK: Rows

    private static let alertColumns = """
        a.id, a.kind, a.percent, a.budget_id, b.scope, b.scope_value, b.period, a.period_start, a.limit_micros,
        a.charged_micros, a.held_micros, a.projected_at, e.submission_id, e.kind, e.amount_micros, a.created_at
        """
    private static let alertJoins = "FROM alerts a JOIN budgets b ON b.id = a.budget_id JOIN entries e ON e.id = a.entry_id"
    private static let targetColumns = "t.id, t.url, t.url_variable, t.team, t.format, t.created_at"
    private static let deliveryColumns = alertColumns + ", " + targetColumns + ", d.attempts, d.delivered_at, d.next_attempt_at, d.last_error"
    private static let deliveryJoins = """
        FROM alert_deliveries d JOIN alert_targets t ON t.id = d.target_id
        JOIN alerts a ON a.id = d.alert_id JOIN budgets b ON b.id = a.budget_id JOIN entries e ON e.id = a.entry_id
        """

    private static func alert(_ row: Row, timeZone: TimeZone) throws(LedgerError) -> Alert {
        let id = row.int64(0)
        guard let kind = Alert.Kind(rawValue: row.text(1)), let scope = BudgetScope(name: row.text(4), value: row.optionalText(5)),
            let period = BudgetPeriod(rawValue: row.text(6)), let entryKind = EntryKind(rawValue: row.text(13)),
            let created = Timestamp.date(row.text(15))
        else { throw .corrupt("alert \(id)") }
        let start = Timestamp.date(row.text(7))
        return Alert(
            id: id, kind: kind, percent: Int(row.int64(2)), budgetID: row.int64(3), scope: scope, period: period,
            periodStart: start, periodEnd: start.flatMap { period.end(startingAt: $0, in: timeZone) },
            limit: USD(micros: row.int64(8)), charged: USD(micros: row.int64(9)), held: USD(micros: row.int64(10)),
            projectedAt: row.optionalText(11).flatMap(Timestamp.date), submissionID: row.text(12), entryKind: entryKind,
            entryAmount: USD(micros: row.int64(14)), createdAt: created, timeZone: timeZone)
    }

    /// Reads the target columns starting at `first`.
    private static func target(_ row: Row, at first: Int32) throws(LedgerError) -> AlertTarget {
        let id = row.int64(first)
        let address: WebhookAddress? = row.optionalText(first + 1).map(WebhookAddress.url) ?? row.optionalText(first + 2).map(WebhookAddress.environment)
        guard let address, let format = AlertFormat(rawValue: row.text(first + 4)), let created = Timestamp.date(row.text(first + 5))
        else { throw .corrupt("alert target \(id)") }
        return AlertTarget(id: id, address: address, team: row.optionalText(first + 3), format: format, createdAt: created)
    }

    private static func delivery(_ row: Row, timeZone: TimeZone) throws(LedgerError) -> AlertDelivery {
        let alert = try alert(row, timeZone: timeZone)
        let target = try target(row, at: 16)
        guard let next = Timestamp.date(row.text(24)) else { throw .corrupt("delivery of alert \(alert.id)") }
        return AlertDelivery(
            alert: alert, target: target, attempts: Int(row.int64(22)), deliveredAt: row.optionalText(23).flatMap(Timestamp.date),
            nextAttemptAt: next, lastError: row.optionalText(25))
    }
}

/// A budget's usage in one period, as alerting reads it. Integer arithmetic in 128 bits: no
/// product of amounts can overflow, and no floating point decides an alert.
struct AlertUsage {
    let limit: Int64
    let charged: Int64
    let held: Int64

    private var used: Int128 { Int128(charged) + Int128(held) }

    /// Whether charged + held has reached `percent` of the limit.
    func reaches(percent: Int) -> Bool {
        used * 100 >= Int128(percent) * Int128(limit)
    }

    /// When the limit is reached if spending goes on at the rate it went since the period
    /// started — if that is before the period ends. No forecast in the first tenth of a period
    /// (one early job would project anything), once the limit is reached (the 100 % alert says
    /// so), or after the period ended.
    func projectedExhaustion(periodStart: Date, periodEnd: Date, now: Date) -> Date? {
        let elapsed = Int128(now.timeIntervalSince(periodStart) * 1000)
        let length = Int128(periodEnd.timeIntervalSince(periodStart) * 1000)
        guard used > 0, used < Int128(limit), elapsed * 10 >= length, elapsed < length else { return nil }
        let reachedAfter = elapsed * Int128(limit) / used  // milliseconds after the period's start
        guard reachedAfter < length else { return nil }
        return periodStart.addingTimeInterval(TimeInterval(Int64(reachedAfter)) / 1000)
    }
}
