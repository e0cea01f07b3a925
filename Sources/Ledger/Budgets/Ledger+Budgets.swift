import Foundation
import KlingCore

extension Ledger {
    // MARK: Time zone

    /// The time zone whose calendar periods budgets use (UTC unless set).
    public func timeZone() throws(LedgerError) -> TimeZone {
        try serialized { () throws(LedgerError) in
            let name = try connection.queryOne("SELECT value FROM ledger_settings WHERE key = 'time_zone'", []) { $0.text(0) } ?? "UTC"
            guard let zone = TimeZone(identifier: name) else { throw .corrupt("time zone \"\(name)\"") }
            return zone
        }
    }

    /// Sets the ledger's time zone. Only before the first budget: periods already counted
    /// would otherwise start at different instants than new ones.
    public func setTimeZone(_ zone: TimeZone) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            try connection.write { () throws(LedgerError) in
                let budgets = try connection.queryOne("SELECT count(*) FROM budgets", []) { $0.int64(0) } ?? 0
                guard budgets == 0 else {
                    throw .conflict("the time zone can only be set before the first budget: budget periods already counted would shift")
                }
                try connection.run("UPDATE ledger_settings SET value = ? WHERE key = 'time_zone'", [.text(zone.identifier)])
            }
        }
    }

    // MARK: Settings

    /// A ledger-wide setting, or `nil`.
    public func setting(_ key: String) throws(LedgerError) -> String? {
        try serialized { () throws(LedgerError) in
            try connection.queryOne("SELECT value FROM ledger_settings WHERE key = ?", [.text(key)]) { $0.text(0) }
        }
    }

    /// Sets a ledger-wide setting.
    public func setSetting(_ key: String, to value: String) throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            try connection.write { () throws(LedgerError) in
                try connection.run(
                    "INSERT INTO ledger_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [.text(key), .text(value)])
            }
        }
    }

    // MARK: Budgets

    /// Creates the budget for a scope and period, or sets every field of the one that exists.
    @discardableResult
    public func setBudget(_ spec: BudgetSpec, at instant: Date = Date()) throws(LedgerError) -> BudgetStatus {
        try serialized { () throws(LedgerError) in
            try setBudget(
                scope: spec.scope, period: spec.period,
                BudgetUpdate(limit: spec.limit, thresholds: spec.thresholds, enforcement: spec.enforcement), at: instant
            ).status
        }
    }

    /// Creates the budget for a scope and period (a limit is needed; thresholds default to
    /// 50, 80 and 100 %, enforcement to hard), or changes only the fields `update` gives of the
    /// one that exists. A new budget adopts the submissions already in its scope, so its usage
    /// is right from the start.
    /// - Returns: the budget, whether it was created, and each field that changed.
    public func setBudget(scope: BudgetScope, period: BudgetPeriod, _ update: BudgetUpdate, at instant: Date = Date()) throws(LedgerError) -> BudgetChange {
        try serialized { () throws(LedgerError) in
            let (scopeName, value) = scope.stored
            let now = Timestamp.string(instant)
            let zone = try timeZone()
            func json(_ thresholds: [Int]) -> String { "[" + thresholds.map(String.init).joined(separator: ",") + "]" }
            let (id, created, changes) = try connection.write { () throws(LedgerError) -> (Int64, Bool, [BudgetChange.Field]) in
                if let (existing, old) = try budgetRows(
                    where: "removed_at IS NULL AND scope = ? AND scope_value \(connection.dialect.nullSafeEquals) ? AND period = ?",
                    [.text(scopeName), .text(value), .text(period.rawValue)]
                ).first {
                    let new = BudgetSpec(
                        scope: scope, period: period, limit: update.limit ?? old.limit, thresholds: update.thresholds ?? old.thresholds,
                        enforcement: update.enforcement ?? old.enforcement)
                    var changes: [BudgetChange.Field] = []
                    if new.limit != old.limit { changes.append(.limit(from: old.limit, to: new.limit)) }
                    if new.thresholds != old.thresholds { changes.append(.thresholds(from: old.thresholds, to: new.thresholds)) }
                    if new.enforcement != old.enforcement { changes.append(.enforcement(from: old.enforcement, to: new.enforcement)) }
                    if !changes.isEmpty {
                        try connection.run(
                            "UPDATE budgets SET limit_micros = ?, thresholds = ?, enforcement = ?, updated_at = ? WHERE id = ?",
                            [.integer(new.limit.micros), .text(json(new.thresholds)), .text(new.enforcement.rawValue), .text(now), .integer(existing)])
                    }
                    return (existing, false, changes)
                }
                guard let limit = update.limit else {
                    throw .notFound("there is no \(period.rawValue) budget for \(scope.description) yet: give --limit to create one")
                }
                let spec = BudgetSpec(
                    scope: scope, period: period, limit: limit, thresholds: update.thresholds ?? BudgetSpec.defaultThresholds,
                    enforcement: update.enforcement ?? .hard)
                let id = try connection.queryOne(
                    """
                    INSERT INTO budgets (scope, scope_value, period, limit_micros, thresholds, enforcement, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                    """,
                    [.text(scopeName), .text(value), .text(period.rawValue), .integer(spec.limit.micros), .text(json(spec.thresholds)),
                     .text(spec.enforcement.rawValue), .text(now), .text(now)]) { $0.int64("id") } ?? 0
                try adoptSubmissions(budget: id, spec: spec, timeZone: zone)
                return (id, true, [])
            }
            guard let status = try budget(id: id, at: instant) else { throw .corrupt("budget \(id) vanished") }
            return BudgetChange(status: status, created: created, changes: changes)
        }
    }

    /// Stops a budget from applying. Its history stays for reports.
    @discardableResult
    public func removeBudget(id: Int64, at instant: Date = Date()) throws(LedgerError) -> BudgetStatus {
        try serialized { () throws(LedgerError) in
            guard let status = try budget(id: id, at: instant) else { throw .notFound("there is no budget \(id); `kling-ledger budget list` shows them") }
            try connection.write { () throws(LedgerError) in
                try connection.run("UPDATE budgets SET removed_at = ? WHERE id = ? AND removed_at IS NULL", [.text(Timestamp.string(instant)), .integer(id)])
            }
            return status
        }
    }

    /// Every budget in force, with its usage in the period holding `instant`.
    public func budgets(at instant: Date = Date()) throws(LedgerError) -> [BudgetStatus] {
        try serialized { () throws(LedgerError) in
            let zone = try timeZone()
            return try connection.read { () throws(LedgerError) in
                try budgetRows(where: "removed_at IS NULL", []).map { (id, spec) throws(LedgerError) in
                    try usage(of: id, spec: spec, at: instant, timeZone: zone)
                }
            }
        }
    }

    /// One budget in force, with its usage in the period holding `instant`.
    public func budget(id: Int64, at instant: Date = Date()) throws(LedgerError) -> BudgetStatus? {
        try serialized { () throws(LedgerError) in
            let zone = try timeZone()
            return try connection.read { () throws(LedgerError) in
                guard let (id, spec) = try budgetRows(where: "removed_at IS NULL AND id = ?", [.integer(id)]).first else { return nil }
                return try usage(of: id, spec: spec, at: instant, timeZone: zone)
            }
        }
    }

    /// The budgets in force that apply to a job of this provider, team, project and user, with
    /// their usage in the period holding `instant`.
    public func budgets(
        applyingTo provider: Provider, team: String?, project: String?, user: String?, at instant: Date = Date()
    ) throws(LedgerError) -> [BudgetStatus] {
        try serialized { () throws(LedgerError) in
            let zone = try timeZone()
            return try connection.read { () throws(LedgerError) in
                try applicableBudgets(provider: provider, team: team, project: project, user: user).map { (id, spec) throws(LedgerError) in
                    try usage(of: id, spec: spec, at: instant, timeZone: zone)
                }
            }
        }
    }

    /// The budgets in force whose scope matches, without their usage.
    func applicableBudgets(provider: Provider, team: String?, project: String?, user: String?) throws(LedgerError) -> [(Int64, BudgetSpec)] {
        try serialized { () throws(LedgerError) in
            try budgetRows(
                where: """
                    removed_at IS NULL AND (scope = 'all' OR (scope = 'provider' AND scope_value = ?)
                        OR (scope = 'team' AND scope_value = ?) OR (scope = 'project' AND scope_value = ?)
                        OR (scope = 'user' AND scope_value = ?))
                    """,
                [.text(provider.rawValue), .text(team), .text(project), .text(user)])
        }
    }

    /// A budget's running totals for the period holding `instant` (zero if nothing moved yet).
    func usage(of id: Int64, spec: BudgetSpec, at instant: Date, timeZone: TimeZone) throws(LedgerError) -> BudgetStatus {
        try serialized { () throws(LedgerError) in
            let key = spec.period.key(containing: instant, in: timeZone)
            let sums = try connection.queryOne(
                "SELECT charged_micros, held_micros, peak_micros FROM budget_usage WHERE budget_id = ? AND period_start = ?",
                [.integer(id), .text(key)]
            ) { ($0.int64("charged_micros"), $0.int64("held_micros"), $0.int64("peak_micros")) } ?? (0, 0, 0)
            let start = spec.period.start(containing: instant, in: timeZone)
            return BudgetStatus(
                id: id, spec: spec, periodStart: start, periodEnd: start.flatMap { spec.period.end(startingAt: $0, in: timeZone) },
                charged: USD(micros: sums.0), held: USD(micros: sums.1), peak: USD(micros: sums.2))
        }
    }

    private func budgetRows(where condition: String, _ values: [SQLValue]) throws(LedgerError) -> [(Int64, BudgetSpec)] {
        let rows = try connection.query(
            "SELECT id, scope, scope_value, period, limit_micros, thresholds, enforcement FROM budgets WHERE \(condition) ORDER BY id",
            values
        ) { row in
            (row.int64("id"), row.text("scope"), row.optionalText("scope_value"), row.text("period"), row.int64("limit_micros"),
             row.text("thresholds"), row.text("enforcement"))
        }
        var budgets: [(Int64, BudgetSpec)] = []
        for (id, scopeName, scopeValue, periodName, limit, thresholdsJSON, enforcementName) in rows {
            guard let scope = BudgetScope(name: scopeName, value: scopeValue), let period = BudgetPeriod(rawValue: periodName),
                let enforcement = Enforcement(rawValue: enforcementName),
                let thresholds = try? JSONDecoder().decode([Int].self, from: Data(thresholdsJSON.utf8))
            else { throw .corrupt("budget \(id)") }
            budgets.append((id, BudgetSpec(scope: scope, period: period, limit: USD(micros: limit), thresholds: thresholds, enforcement: enforcement)))
        }
        return budgets
    }

    /// Counts the submissions already in the new budget's scope: their balances, summed per
    /// period of the budget into its running totals, in one `INSERT … SELECT` whatever the
    /// ledger's size. Which submissions a budget counts is a rule (`budget_submissions`), so
    /// nothing is written per submission; calendar arithmetic in the ledger's time zone stays in
    /// Swift, as a temporary table of the periods the submissions span.
    private func adoptSubmissions(budget id: Int64, spec: BudgetSpec, timeZone: TimeZone) throws(LedgerError) {
        let (scope, value) = spec.scope.stored
        let column = ["team": "team", "project": "project", "user": "user_name", "provider": "provider"][scope]
        let filter = "s.state <> \(SubmissionState.rejected.sql)" + (column.map { " AND s.\($0) = ?" } ?? "")
        let values: [SQLValue] = column == nil ? [] : [.text(value)]
        let sums = """
            coalesce(sum(s.balance_held_micros), 0), coalesce(sum(s.balance_charged_micros), 0),
            coalesce(sum(s.balance_held_micros), 0) + coalesce(sum(s.balance_charged_micros), 0)
            """
        if spec.period == .total {
            try connection.run(
                """
                INSERT INTO budget_usage (budget_id, period_start, held_micros, charged_micros, peak_micros)
                SELECT ?, 'total', \(sums) FROM submissions s WHERE \(filter) HAVING count(*) > 0
                """, [.integer(id)] + values)
            return
        }
        // The whole ledger's first and last instants, read off the index: filtered by scope, they
        // would cost a scan of every row, and periods without the scope's rows add nothing.
        let range = try connection.queryOne(
            "SELECT (SELECT min(created_at) FROM submissions) AS first, (SELECT max(created_at) FROM submissions) AS last", []
        ) {
            ($0.optionalText("first").flatMap(Timestamp.date), $0.optionalText("last").flatMap(Timestamp.date))
        }
        guard let first = range?.0, let last = range?.1 else { return }
        try connection.execute("CREATE TEMP TABLE IF NOT EXISTS adoption_periods (period_start TEXT NOT NULL, period_end TEXT NOT NULL)")
        try connection.execute("DELETE FROM adoption_periods")
        var start = spec.period.start(containing: first, in: timeZone)
        while let periodStart = start, periodStart <= last, let periodEnd = spec.period.end(startingAt: periodStart, in: timeZone) {
            try connection.run(
                "INSERT INTO adoption_periods (period_start, period_end) VALUES (?, ?)",
                [.text(Timestamp.string(periodStart)), .text(Timestamp.string(periodEnd))])
            start = periodEnd
        }
        try connection.run(
            """
            INSERT INTO budget_usage (budget_id, period_start, held_micros, charged_micros, peak_micros)
            SELECT ?, p.period_start, \(sums) FROM adoption_periods p
            JOIN submissions s ON s.created_at >= p.period_start AND s.created_at < p.period_end
            WHERE \(filter)
            GROUP BY p.period_start
            """, [.integer(id)] + values)
        try connection.execute("DELETE FROM adoption_periods")
    }
}
