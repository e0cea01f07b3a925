import Foundation
import KlingCore
import Ledger
import Reports

/// Whose numbers a page shows: every team's (the local dashboard, an admin key), or one
/// team's (a team's key in `serve`).
public enum DashboardScope: Sendable, Equatable {
    case everyone
    case team(String)

    var team: String? {
        if case .team(let team) = self { team } else { nil }
    }

    var label: String {
        switch self {
        case .everyone: "all teams"
        case .team(let team): "team \(team)"
        }
    }
}

/// The pages' contents, computed from the ledger for one scope and month. Amounts are the
/// ledger's integer micro-dollars, summed exactly and shown as `$1.05`; the same figures as the
/// report definitions give (the tests compare them to the cent).
struct DashboardPages {
    let ledger: Ledger
    let scope: DashboardScope
    let now: Date

    // MARK: Overview

    struct Named: Sendable {
        let name: String
        let amount: String
    }

    struct Overview {
        let month: String
        let previousMonth: String
        let nextMonth: String
        let charged: String
        let held: String
        let forecast: String
        let forecastNote: String
        let submissions: Int
        let spendChart: String
        let days: [Named]
        let teamChart: String
        let teams: [Named]
        let providerChart: String
        let providers: [Named]
        let modelChart: String
        let models: [Named]
    }

    func overview(month: ReportMonth) throws -> Overview {
        let zone = try ledger.timeZone()
        let (start, end) = month.bounds(in: zone)
        let records = try ledger.submissions(createdFrom: start, until: end, team: scope.team).filter { $0.state != .rejected }
        let charged = USD(micros: records.map(\.balance.charged.micros).reduce(0, +))
        let held = USD(micros: records.map(\.balance.held.micros).reduce(0, +))

        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let dayCount = calendar.range(of: .day, in: .month, for: start)?.count ?? 30
        var perDay = Array(repeating: Int64(0), count: dayCount)
        for record in records {
            let day = calendar.component(.day, from: record.createdAt)
            if (1...dayCount).contains(day) { perDay[day - 1] += record.balance.charged.micros }
        }
        let elapsedDays: Int? = (start...end).contains(now) ? calendar.component(.day, from: now) : nil
        var cumulative: [USD] = []
        var running: Int64 = 0
        for (index, amount) in perDay.enumerated() where elapsedDays.map({ index < $0 }) ?? true {
            running += amount
            cumulative.append(USD(micros: running))
        }
        // The forecast alert's projection: what is used so far, at the rate of the time elapsed.
        let used = charged.micros + held.micros
        let forecast: USD
        let note: String
        if elapsedDays != nil {
            let elapsed = max(1, Int64(now.timeIntervalSince(start)))
            let total = Int64(end.timeIntervalSince(start))
            let projected = used.multipliedReportingOverflow(by: total).overflow ? Int64.max / 2 : used * total / elapsed
            forecast = USD(micros: (projected + 5_000) / 10_000 * 10_000)  // an estimate: to the cent
            note = "at this month's rate so far (charged and held, as the forecast alert projects)"
        } else {
            forecast = USD(micros: used)
            note = now < start ? "the month has not begun" : "the month is over: what it came to"
        }
        let limits = try ledger.budgets(at: start.addingTimeInterval(1)).filter { $0.spec.period == .month && visible($0) }
            .map { (name: $0.name, limit: $0.spec.limit) }

        func ranked(_ key: (SubmissionRecord) -> String) -> [SVGChart.Bar] {
            var sums: [String: Int64] = [:]
            for record in records { sums[key(record), default: 0] += record.balance.charged.micros }
            return sums.map { SVGChart.Bar(label: $0.key, amount: USD(micros: $0.value)) }.sorted { ($0.amount.micros, $1.label) > ($1.amount.micros, $0.label) }
        }
        let teams = ranked { $0.team ?? "(no team)" }
        let providers = ranked { $0.job.provider.rawValue }
        let models = ranked { [$0.job.model ?? "(default)", $0.job.mode?.rawValue].compactMap { $0 }.joined(separator: " ") }
        let label = "\(scope.label), \(month)"
        return Overview(
            month: month.description, previousMonth: month.adding(-1).description, nextMonth: month.adding(1).description,
            charged: "$" + charged.decimalString, held: "$" + held.decimalString, forecast: "$" + forecast.decimalString,
            forecastNote: note, submissions: records.count,
            spendChart: SVGChart.cumulative(
                days: cumulative, forecastEnd: elapsedDays == nil ? nil : forecast, dayCount: dayCount, today: elapsedDays, limits: limits,
                title: "Spend so far in \(label), day by day, with the forecast and each monthly budget's limit"),
            days: cumulative.enumerated().map { Named(name: "day \($0.offset + 1)", amount: "$" + $0.element.decimalString) },
            teamChart: SVGChart.bars(teams, title: "Charged by team, \(label)"), teams: teams.map(Self.named),
            providerChart: SVGChart.bars(providers, title: "Charged by provider, \(label)"), providers: providers.map(Self.named),
            modelChart: SVGChart.bars(models, title: "Charged by model, \(label)"), models: models.map(Self.named))
    }

    private static func named(_ bar: SVGChart.Bar) -> Named { Named(name: bar.label, amount: "$" + bar.amount.decimalString) }

    /// A team sees its own team's budgets only; the others, and the organisation's, are not its
    /// numbers.
    private func visible(_ budget: BudgetStatus) -> Bool {
        guard let team = scope.team else { return true }
        return budget.spec.scope == .team(team)
    }

    // MARK: Budgets

    struct BudgetRow {
        let id: Int64
        let name: String
        let enforcement: String
        let hard: Bool
        let limit: String
        let charged: String
        let held: String
        let remaining: String
        let percent: Int64
        let thresholds: String
        let usageChart: String
        let alerts: [String]
    }

    func budgets() throws -> [BudgetRow] {
        let alerts = try ledger.alerts(limit: 1000)
        return try ledger.budgets(at: now).filter(visible).map { budget in
            BudgetRow(
                id: budget.id, name: budget.name, enforcement: budget.spec.enforcement.rawValue, hard: budget.spec.enforcement == .hard,
                limit: "$" + budget.spec.limit.decimalString, charged: "$" + budget.charged.decimalString, held: "$" + budget.held.decimalString,
                remaining: "$" + budget.remaining.decimalString,
                percent: budget.spec.limit.micros > 0 ? budget.used.micros * 100 / budget.spec.limit.micros : 0,
                thresholds: budget.spec.thresholds.map { "\($0) %" }.joined(separator: ", "),
                usageChart: SVGChart.usage(
                    charged: budget.charged, held: budget.held, limit: budget.spec.limit,
                    title: "\(budget.name): charged $\(budget.charged.decimalString), held $\(budget.held.decimalString) of $\(budget.spec.limit.decimalString)"),
                alerts: alerts.filter { $0.budget?.budgetID == budget.id }.map { "\(Timestamp.string($0.createdAt).prefix(16)) — \($0.message)" })
        }
    }

    // MARK: Needs attention

    struct Attention {
        let what: String
        let id: String
        let detail: String
        let command: String
    }

    /// What needs a person now; charges above their quote among the month's submissions.
    func attention(month: ReportMonth) throws -> [Attention] {
        var items: [Attention] = []
        let open = try ledger.openSubmissions().filter { scope.team == nil || $0.team == scope.team }
        for record in open where record.state == .unknown {
            items.append(
                Attention(
                    what: "unknown outcome", id: record.id, detail: "\(record.errorMessage ?? "the provider's answer was lost"); holds $\(record.balance.held.decimalString)",
                    command: "kling-ledger sync, then if it still needs you: kling-ledger resolve \(record.id) --succeeded --cost USD | --failed --note \"…\""))
        }
        for record in open where record.state != .unknown && record.balance.held.micros > 0 && now.timeIntervalSince(record.createdAt) > 3600 {
            items.append(
                Attention(
                    what: "held for over an hour", id: record.id,
                    detail: "\(record.state.rawValue) since \(Timestamp.string(record.createdAt).prefix(16)); holds $\(record.balance.held.decimalString)",
                    command: "kling-ledger sync"))
        }
        let (start, end) = month.bounds(in: try ledger.timeZone())
        let settled = try ledger.submissions(createdFrom: start, until: end, team: scope.team).filter { record in
            guard let cost = record.actualCost, let quote = record.quote?.amount else { return false }
            return cost > quote
        }
        for record in settled {
            items.append(
                Attention(
                    what: "charged above its quote", id: record.id,
                    detail: "quoted $\(record.quote?.amount.decimalString ?? "?"), charged $\(record.actualCost?.decimalString ?? "?")",
                    command: "kling-ledger status \(record.id)   (then check the price table: kling-ledger pricing show)"))
        }
        if scope.team == nil {
            let alerts = try ledger.alerts(limit: 1000)
            for delivery in try ledger.deliveries(ofAlerts: alerts.map(\.id)) where delivery.deliveredAt == nil && delivery.lastError != nil {
                items.append(
                    Attention(
                        what: "alert not delivered", id: "alert \(delivery.alert.id) → target \(delivery.target.id)",
                        detail: delivery.lastError ?? "", command: "kling-ledger alerts deliver --retry-now"))
            }
        }
        return items
    }

    // MARK: Submissions

    struct SubmissionRow {
        let id: String
        let created: String
        let state: String
        let team: String
        let provider: String
        let job: String
        let quote: String
        let charged: String
        let held: String
    }

    struct Filter {
        var team: String?
        var provider: Provider?
        var state: SubmissionState?
        var month: ReportMonth
    }

    func submissions(_ filter: Filter) throws -> [SubmissionRow] {
        let (start, end) = filter.month.bounds(in: try ledger.timeZone())
        let team = scope.team ?? filter.team
        return try ledger.submissions(createdFrom: start, until: end, team: team, state: filter.state, provider: filter.provider).reversed().map(row)
    }

    func row(_ record: SubmissionRecord) -> SubmissionRow {
        SubmissionRow(
            id: record.id, created: String(Timestamp.string(record.createdAt).prefix(16)).replacingOccurrences(of: "T", with: " "),
            state: record.state.rawValue, team: record.team ?? "", provider: record.job.provider.rawValue,
            job: [record.job.model, record.job.mode?.rawValue, "\(record.job.durationSeconds) s", record.job.kind.rawValue].compactMap { $0 }.joined(separator: " "),
            quote: record.quote.map { "$" + $0.amount.decimalString } ?? "", charged: "$" + record.balance.charged.decimalString,
            held: "$" + record.balance.held.decimalString)
    }

    struct Detail {
        let row: SubmissionRow
        let providerTaskID: String
        let priced: String
        let entries: [Named]
        let videos: [String]
        let error: String
        let updated: String
    }

    func detail(_ id: String) throws -> Detail? {
        guard let record = try ledger.submission(id: id), scope.team == nil || record.team == scope.team else { return nil }
        let entries = try ledger.entries(ofSubmission: id).map { entry in
            Named(
                name: "\(Timestamp.string(entry.createdAt).prefix(19).replacingOccurrences(of: "T", with: " ")) \(entry.kind.rawValue)\(entry.note.map { " (\($0))" } ?? "")",
                amount: "$" + entry.amount.decimalString)
        }
        return Detail(
            row: row(record), providerTaskID: record.providerTaskID ?? "(none yet)",
            priced: record.quote.map { "\($0.table) \($0.version), \($0.rule)" } ?? "", entries: entries, videos: record.videoURLs,
            error: [record.errorCode, record.errorMessage].compactMap { $0 }.joined(separator: ": "),
            updated: String(Timestamp.string(record.updatedAt).prefix(19)).replacingOccurrences(of: "T", with: " "))
    }
}

extension DashboardPages {
    // MARK: Packs and reconciliation

    struct Reconciled {
        let provider: String
        let outcome: String
        let task: String
        let submission: String
        let ledger: String
        let billed: String
        let note: String
    }

    struct Reconciliation {
        let lines: [Reconciled]
        let packAlerts: [String]
    }

    /// The month's last reconciliation with each provider's bill (the `reconciliation` report's
    /// rows), and the resource packs' alerts. The organisation's, not a team's.
    func reconciliation(month: ReportMonth) throws -> Reconciliation? {
        guard scope.team == nil else { return nil }
        let rows = CSVText.rows(String(decoding: try report("reconciliation", month: month), as: UTF8.self))
        guard let header = rows.first else { return Reconciliation(lines: [], packAlerts: []) }
        let lines = rows.dropFirst().map { row -> Reconciled in
            let field = { (name: String) -> String in header.firstIndex(of: name).flatMap { row.indices.contains($0) ? row[$0] : nil } ?? "" }
            return Reconciled(
                provider: field("provider"), outcome: field("class").replacingOccurrences(of: "_", with: " "), task: field("provider_task_id"),
                submission: field("submission_id"), ledger: field("ledger_usd").isEmpty ? "" : "$" + field("ledger_usd"),
                billed: field("billed_usd").isEmpty ? "" : "$" + field("billed_usd"), note: field("note"))
        }
        let packs = try ledger.alerts(limit: 1000).filter { $0.pack != nil }.map { "\(Timestamp.string($0.createdAt).prefix(16)) — \($0.message)" }
        return Reconciliation(lines: lines, packAlerts: packs)
    }
}

extension DashboardPages {
    /// A bundled report definition's CSV for a month, for this scope (a team's rows only, in the
    /// definitions that take `:team`).
    func report(_ name: String, month: ReportMonth, grouping: Grouping? = nil) throws -> Data {
        // The runner writes to a file handle: a temporary file, read back whole.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString).csv")
        FileManager.default.createFile(atPath: file.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: file) }
        let handle = try FileHandle(forWritingTo: file)
        try ReportRunner.run(
            try ReportCatalog(folder: nil).definition(named: name), on: ledger, month: month, grouping: grouping, team: scope.team,
            into: CSVWriter(output: handle))
        try handle.close()
        return try Data(contentsOf: file)
    }
}

/// Reads back the CSV the report runner writes (RFC 4180: quoted fields, doubled quotes).
enum CSVText {
    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var characters = Array(text.unicodeScalars)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" { field.unicodeScalars.append("\""); characters.removeFirst() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                row.append(field)
                field = ""
            } else if character == "\n" || character == "\r" {
                if character == "\r", characters.first == "\n" { characters.removeFirst() }
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.unicodeScalars.append(character)
            }
        }
        if !field.isEmpty || !row.isEmpty { rows.append(row + [field]) }
        return rows
    }
}

extension ReportMonth {
    /// The month `offset` months from this one.
    func adding(_ offset: Int) -> ReportMonth {
        let index = year * 12 + (month - 1) + offset
        return (try? ReportMonth(String(format: "%04d-%02d", index / 12, index % 12 + 1))) ?? self
    }
}
