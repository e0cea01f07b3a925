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
        try serialized { () throws(LedgerError) in
            guard let now = Timestamp.date(timestamp) else { throw .corrupt("timestamp \(timestamp)") }
            let zone = try timeZone()
            for budget in try budgetsCounting(submission) {
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
    }

    /// Raises an overrun alert on each hard budget of a submission whose charge exceeded its
    /// hold: the budget may now be over its limit although every hold fitted, and its owner
    /// should know why. Once per budget and charge.
    func raiseOverrunAlerts(afterCharge entry: Int64, submission: String, cost: Int64, held: Int64, at timestamp: String) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            let percent = Int(clamping: Int128(cost) * 100 / Int128(max(held, 1)))
            for budget in try budgetsCounting(submission) where budget.enforcement == Enforcement.hard.rawValue {
                try insertAlert(.overrun, percent: max(percent, 1), budget: budget.id, scope: budget.scope, team: budget.team,
                                periodStart: budget.periodStart,
                                usage: AlertUsage(limit: budget.limit, charged: budget.charged, held: budget.held), projected: nil, entry: entry, at: timestamp)
            }
        }
    }

    /// The budgets in force a submission counts against, with their running totals in its period.
    private func budgetsCounting(_ submission: String) throws(LedgerError) -> [(
        id: Int64, scope: String, team: String?, period: String, limit: Int64, thresholds: String, enforcement: String,
        periodStart: String, charged: Int64, held: Int64
    )] {
        try connection.query(
            """
            SELECT b.id, b.scope, b.scope_value, b.period, b.limit_micros, b.thresholds, b.enforcement, u.period_start,
                u.charged_micros, u.held_micros
            FROM budget_submissions bs
            JOIN budget_usage u ON u.budget_id = bs.budget_id AND u.period_start = bs.period_start
            JOIN budgets b ON b.id = bs.budget_id
            WHERE bs.submission_id = ? AND b.removed_at IS NULL
            """, [.text(submission)]
        ) { row in
            (id: row.int64("id"), scope: row.text("scope"), team: row.optionalText("scope_value"), period: row.text("period"),
             limit: row.int64("limit_micros"), thresholds: row.text("thresholds"), enforcement: row.text("enforcement"),
             periodStart: row.text("period_start"), charged: row.int64("charged_micros"), held: row.int64("held_micros"))
        }
    }

    /// Raises a resource pack's alerts, each at most once per pack: `low` when its remaining
    /// units are below `lowPercent` of its total, `expiring` when it will expire with units unused
    /// (`facts.unusedAtExpiry` > 0, projected at `facts.expiresAt`). Pack alerts go to the targets
    /// of every budget (not to one team's).
    /// - Returns: the alerts newly raised.
    @discardableResult
    public func raisePackAlerts(_ facts: Alert.PackFacts, lowPercent: Int, at instant: Date = Date()) throws(LedgerError) -> [Alert] {
        try serialized { () throws(LedgerError) in
            let timestamp = Timestamp.string(instant)
            let json = PackRecord.encode(facts)
            return try connection.write { () throws(LedgerError) -> [Alert] in
                var raised: [Int64] = []
                let total = max(facts.total.millionths, 1)
                if Int128(facts.remaining.millionths) * 100 < Int128(lowPercent) * Int128(total) {
                    raised += try insertPackAlert(.packLow, percent: lowPercent, facts: facts, json: json, projected: nil, at: timestamp)
                }
                if let unused = facts.unusedAtExpiry, unused > .zero {
                    raised += try insertPackAlert(.packExpiring, percent: 100, facts: facts, json: json, projected: facts.expiresAt, at: timestamp)
                }
                guard !raised.isEmpty else { return [] }
                let zone = try timeZone()
                let list = raised.map(String.init).joined(separator: ",")
                return try connection.query("SELECT \(Self.alertColumns) \(Self.alertJoins) WHERE a.id IN (\(list)) ORDER BY a.id", []) {
                    row throws(LedgerError) in try Self.alert(row, timeZone: zone)
                }
            }
        }
    }

    private func insertPackAlert(
        _ kind: Alert.Kind, percent: Int, facts: Alert.PackFacts, json: String, projected: Date?, at timestamp: String
    ) throws(LedgerError) -> [Int64] {
        let raised = try connection.queryOne(
            """
            INSERT INTO alerts (pack_id, pack, period_start, kind, percent, limit_micros, charged_micros, held_micros, projected_at, created_at)
            VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, ?)
            ON CONFLICT DO NOTHING
            RETURNING id
            """,
            [.text(facts.id), .text(json), .text(Timestamp.string(facts.effectiveAt)), .text(kind.rawValue), .integer(Int64(percent)),
             .text(projected.map(Timestamp.string)), .text(timestamp)]
        ) { $0.int64(0) }
        guard let raised else { return [] }  // raised before: exactly once
        try queueDeliveries(of: raised, scope: "pack", team: nil, at: timestamp)
        return [raised]
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
        try queueDeliveries(of: raised, scope: scope, team: team, at: timestamp)
    }

    /// Queues a new alert in the outbox for every target that wants it: those of every budget,
    /// and a team's targets for that team's budgets (a pack's alert has scope `pack`).
    private func queueDeliveries(of alert: Int64, scope: String, team: String?, at timestamp: String) throws(LedgerError) {
        try connection.run(
            """
            INSERT INTO alert_deliveries (alert_id, target_id, next_attempt_at)
            SELECT ?, id, ? FROM alert_targets
            WHERE removed_at IS NULL AND (team IS NULL OR (? = 'team' AND team = ?))
            """, [.integer(alert), .text(timestamp), .text(scope), .text(team)])
    }

    // MARK: Reading

    /// Alerts, newest first.
    public func alerts(limit: Int = 100) throws(LedgerError) -> [Alert] {
        try serialized { () throws(LedgerError) in
            let zone = try timeZone()
            return try connection.query(
                "SELECT \(Self.alertColumns) \(Self.alertJoins) ORDER BY a.id DESC LIMIT ?", [.integer(Int64(limit))]
            ) { row throws(LedgerError) in try Self.alert(row, timeZone: zone) }
        }
    }

    /// Every delivery of the given alerts, oldest alert first.
    public func deliveries(ofAlerts ids: [Int64]) throws(LedgerError) -> [AlertDelivery] {
        try serialized { () throws(LedgerError) in
            guard !ids.isEmpty else { return [] }
            let zone = try timeZone()
            let list = ids.map(String.init).joined(separator: ",")
            return try connection.query(
                "SELECT \(Self.deliveryColumns) \(Self.deliveryJoins) WHERE d.alert_id IN (\(list)) ORDER BY d.alert_id, d.target_id", []
            ) { row throws(LedgerError) in try Self.delivery(row, timeZone: zone) }
        }
    }

    // MARK: Targets

    /// Adds a webhook target. It receives the alerts raised from now on.
    /// - Parameter team: only this team's budgets; `nil` for every budget.
    @discardableResult
    public func addAlertTarget(_ address: WebhookAddress, team: String?, format: AlertFormat, at instant: Date = Date()) throws -> AlertTarget {
        try serialized { () throws in
            if case .url(let text) = address { try WebhookAddress.check(text) }
            let (url, variable): (String?, String?) =
                switch address {
                case .url(let text): (text, nil)
                case .environment(let name): (nil, name)
                }
            let id = try connection.write { () throws(LedgerError) -> Int64 in
                try connection.queryOne(
                    "INSERT INTO alert_targets (url, url_variable, team, format, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                    [.text(url), .text(variable), .text(team), .text(format.rawValue), .text(Timestamp.string(instant))]) { $0.int64("id") } ?? 0
            }
            guard let target = try alertTarget(id: id) else { throw LedgerError.corrupt("alert target \(id) vanished") }
            return target
        }
    }

    /// Stops a target from receiving alerts, undelivered ones included. Its history stays.
    public func removeAlertTarget(id: Int64, at instant: Date = Date()) throws -> AlertTarget {
        try serialized { () throws in
            guard let target = try alertTarget(id: id) else { throw AlertTargetError.noSuchTarget(id) }
            try connection.write { () throws(LedgerError) in
                try connection.run("UPDATE alert_targets SET removed_at = ? WHERE id = ?", [.text(Timestamp.string(instant)), .integer(id)])
            }
            return target
        }
    }

    /// The targets in force.
    public func alertTargets() throws(LedgerError) -> [AlertTarget] {
        try serialized { () throws(LedgerError) in
            try connection.query("SELECT \(Self.targetColumns) FROM alert_targets t WHERE t.removed_at IS NULL ORDER BY t.id", []) {
                row throws(LedgerError) in try Self.target(row)
            }
        }
    }

    /// One target in force.
    public func alertTarget(id: Int64) throws(LedgerError) -> AlertTarget? {
        try serialized { () throws(LedgerError) in
            try connection.queryOne(
                "SELECT \(Self.targetColumns) FROM alert_targets t WHERE t.removed_at IS NULL AND t.id = ?", [.integer(id)]
            ) { row throws(LedgerError) in try Self.target(row) }
        }
    }

    // MARK: The outbox

    /// Claims the deliveries due at `instant` (all undelivered ones if `ignoringSchedule`) for
    /// this process: each is leased for `lease` and its attempt counted, in one transaction, so a
    /// concurrent process never sends the same one. A lease that runs out (its process died
    /// mid-send) makes the delivery claimable again.
    /// A claim takes few deliveries at once, so that posting them (10 s each at the most) ends
    /// well within the lease and no other process claims one still being posted.
    public func claimDeliveries(at instant: Date = Date(), lease: Duration = .seconds(60), ignoringSchedule: Bool = false, limit: Int = 5) throws(LedgerError) -> [AlertDelivery] {
        try serialized { () throws(LedgerError) in
            let now = Timestamp.string(instant)
            let until = Timestamp.string(instant.addingTimeInterval(TimeInterval(lease.components.seconds)))
            let zone = try timeZone()
            let due = "d.delivered_at IS NULL AND t.removed_at IS NULL AND (d.leased_until IS NULL OR d.leased_until <= ?)"
                + (ignoringSchedule ? "" : " AND d.next_attempt_at <= ?")
            let values: [SQLValue] = ignoringSchedule ? [.text(now)] : [.text(now), .text(now)]
            return try connection.write { () throws(LedgerError) in
                let keys = try connection.query(
                    "SELECT d.alert_id, d.target_id \(Self.deliveryJoins) WHERE \(due) ORDER BY d.alert_id LIMIT ?", values + [.integer(Int64(limit))]
                ) { ($0.int64("alert_id"), $0.int64("target_id")) }
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
    }

    /// Whether any delivery is due at `instant`: a cheap read before claiming.
    public func hasDueDeliveries(at instant: Date = Date()) throws(LedgerError) -> Bool {
        try serialized { () throws(LedgerError) in
            try connection.queryOne(
                "SELECT 1 \(Self.deliveryJoins) WHERE d.delivered_at IS NULL AND t.removed_at IS NULL AND d.next_attempt_at <= ? LIMIT 1",
                [.text(Timestamp.string(instant))]) { _ in true } ?? false
        }
    }

    /// The target acknowledged the alert: it is never sent to it again.
    public func recordDelivered(_ delivery: AlertDelivery, at instant: Date = Date()) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            try connection.write { () throws(LedgerError) in
                try connection.run(
                    """
                    UPDATE alert_deliveries SET delivered_at = ?, leased_until = NULL, last_error = NULL
                    WHERE alert_id = ? AND target_id = ? AND delivered_at IS NULL
                    """, [.text(Timestamp.string(instant)), .integer(delivery.alert.id), .integer(delivery.target.id)])
            }
        }
    }

    /// The attempt failed: the lease is given back and the next attempt is due at `retryAt`.
    public func recordDeliveryFailed(_ delivery: AlertDelivery, reason: String, retryAt: Date) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            try connection.write { () throws(LedgerError) in
                try connection.run(
                    """
                    UPDATE alert_deliveries SET leased_until = NULL, last_error = ?, next_attempt_at = ?
                    WHERE alert_id = ? AND target_id = ? AND delivered_at IS NULL
                    """, [.text(reason), .text(Timestamp.string(retryAt)), .integer(delivery.alert.id), .integer(delivery.target.id)])
            }
        }
    }

    // MARK: Rows

    private static let alertColumns = """
        a.id AS alert_id, a.kind AS alert_kind, a.percent, a.budget_id, b.scope, b.scope_value, b.period, a.period_start,
        a.limit_micros, a.charged_micros, a.held_micros, a.projected_at, e.submission_id, e.kind AS entry_kind,
        e.amount_micros AS entry_micros, a.created_at AS alert_created_at, a.pack_id, a.pack
        """
    private static let alertJoins = "FROM alerts a LEFT JOIN budgets b ON b.id = a.budget_id LEFT JOIN entries e ON e.id = a.entry_id"
    private static let targetColumns = """
        t.id AS target_id, t.url, t.url_variable, t.team AS target_team, t.format, t.created_at AS target_created_at
        """
    private static let deliveryColumns = alertColumns + ", " + targetColumns + ", d.attempts, d.delivered_at, d.next_attempt_at, d.last_error"
    private static let deliveryJoins = """
        FROM alert_deliveries d JOIN alert_targets t ON t.id = d.target_id
        JOIN alerts a ON a.id = d.alert_id LEFT JOIN budgets b ON b.id = a.budget_id LEFT JOIN entries e ON e.id = a.entry_id
        """
    private static func alert(_ row: Row, timeZone: TimeZone) throws(LedgerError) -> Alert {
        let id = row.int64("alert_id")
        guard let kind = Alert.Kind(rawValue: row.text("alert_kind")), let created = Timestamp.date(row.text("alert_created_at")) else {
            throw .corrupt("alert \(id)")
        }
        let start = Timestamp.date(row.text("period_start"))
        let subject: Alert.Subject
        if let packID = row.optionalText("pack_id") {
            guard let json = row.optionalText("pack"), let facts = PackRecord.decode(json, id: packID) else { throw .corrupt("alert \(id)") }
            subject = .pack(facts)
        } else {
            guard let scope = BudgetScope(name: row.text("scope"), value: row.optionalText("scope_value")),
                let period = BudgetPeriod(rawValue: row.text("period")), let entryKind = EntryKind(rawValue: row.text("entry_kind"))
            else { throw .corrupt("alert \(id)") }
            subject = .budget(
                Alert.BudgetFacts(
                    budgetID: row.int64("budget_id"), scope: scope, period: period, periodStart: start,
                    periodEnd: start.flatMap { period.end(startingAt: $0, in: timeZone) }, limit: USD(micros: row.int64("limit_micros")),
                    charged: USD(micros: row.int64("charged_micros")), held: USD(micros: row.int64("held_micros")),
                    submissionID: row.text("submission_id"), entryKind: entryKind, entryAmount: USD(micros: row.int64("entry_micros"))))
        }
        return Alert(
            id: id, kind: kind, percent: Int(row.int64("percent")), subject: subject,
            projectedAt: row.optionalText("projected_at").flatMap(Timestamp.date), createdAt: created, timeZone: timeZone)
    }

    private static func target(_ row: Row) throws(LedgerError) -> AlertTarget {
        let id = row.int64("target_id")
        let address: WebhookAddress? = row.optionalText("url").map(WebhookAddress.url) ?? row.optionalText("url_variable").map(WebhookAddress.environment)
        guard let address, let format = AlertFormat(rawValue: row.text("format")), let created = Timestamp.date(row.text("target_created_at"))
        else { throw .corrupt("alert target \(id)") }
        return AlertTarget(id: id, address: address, team: row.optionalText("target_team"), format: format, createdAt: created)
    }

    private static func delivery(_ row: Row, timeZone: TimeZone) throws(LedgerError) -> AlertDelivery {
        let alert = try alert(row, timeZone: timeZone)
        let target = try target(row)
        guard let next = Timestamp.date(row.text("next_attempt_at")) else { throw .corrupt("delivery of alert \(alert.id)") }
        return AlertDelivery(
            alert: alert, target: target, attempts: Int(row.int64("attempts")), deliveredAt: row.optionalText("delivered_at").flatMap(Timestamp.date),
            nextAttemptAt: next, lastError: row.optionalText("last_error"))
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

/// A pack's facts as an alert stores them: JSON with exact decimal units.
enum PackRecord {
    private struct Stored: Codable {
        let name: String
        let total_units: String
        let remaining_units: String
        let effective_at: String
        let expires_at: String
        let unused_at_expiry_units: String?
    }

    static func encode(_ facts: Alert.PackFacts) -> String {
        let stored = Stored(
            name: facts.name, total_units: facts.total.decimalString, remaining_units: facts.remaining.decimalString,
            effective_at: Timestamp.string(facts.effectiveAt), expires_at: Timestamp.string(facts.expiresAt),
            unused_at_expiry_units: facts.unusedAtExpiry?.decimalString)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(stored)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func decode(_ json: String, id: String) -> Alert.PackFacts? {
        guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(json.utf8)), let total = Units(stored.total_units),
            let remaining = Units(stored.remaining_units), let effective = Timestamp.date(stored.effective_at),
            let expires = Timestamp.date(stored.expires_at)
        else { return nil }
        return Alert.PackFacts(
            id: id, name: stored.name, total: total, remaining: remaining, effectiveAt: effective, expiresAt: expires,
            unusedAtExpiry: stored.unused_at_expiry_units.flatMap { Units($0) })
    }
}
