import ArgumentParser
import Foundation
import KlingCore
import Ledger

extension BudgetPeriod: ExpressibleByArgument {}
extension Enforcement: ExpressibleByArgument {}

/// `kling-ledger budget set|list|show|remove`.
struct BudgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Set, list, show and remove spending limits.",
        discussion: """
            A budget limits the spending of a scope (--team, --project, --user, --provider or --all) \
            in a calendar period (month, week, day, or total) in the ledger's time zone (UTC). \
            Every budget whose scope matches a job applies. Hard budgets refuse a job whose quote \
            does not fit (charged + held + quote ≤ limit); soft ones allow it and warn.
            """,
        subcommands: [Set.self, List.self, Show.self, Remove.self, TimeZoneCommand.self])

    /// The scope flags, exactly one of which is given.
    struct Scope: ParsableArguments {
        @Option(help: "A team's budget.") var team: String?
        @Option(help: "A project's budget.") var project: String?
        @Option(help: "A user's budget.") var user: String?
        @Option(help: "A provider's budget.") var provider: Provider?
        @Flag(help: "The whole ledger's budget.") var all = false

        func validate() throws {
            let given = [team != nil, project != nil, user != nil, provider != nil, all].filter { $0 }.count
            guard given == 1 else { throw ValidationError("give exactly one scope: --team T, --project P, --user U, --provider X or --all") }
        }

        var scope: BudgetScope {
            if let team { return .team(team) }
            if let project { return .project(project) }
            if let user { return .user(user) }
            if let provider { return .provider(provider) }
            return .all
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Create a budget, or change the one with the same scope and period.",
            discussion: """
                A new budget needs --limit; it alerts at 50,80,100 % and is hard unless told \
                otherwise. On a budget in force, only the fields given change, and each change is \
                printed; --enforcement hard on a soft budget says that jobs that do not fit will \
                now be refused.
                Example: kling-ledger budget set --team video --period month --limit 500 --alert-at 50,80,100
                """)

        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var scope: Scope
        @Option(help: "month, week, day or total.") var period: BudgetPeriod = .month
        @Option(parsing: .unconditional, help: ArgumentHelp("The limit in USD, e.g. 500 or 49.99 (needed for a new budget).", valueName: "usd"))
        var limit: String?
        @Option(help: ArgumentHelp("Alert thresholds in percent of the limit (new budgets: 50,80,100).", valueName: "p1,p2,…"))
        var alertAt: String?
        @Option(help: "hard (refuse) or soft (allow and warn); new budgets: hard.") var enforcement: Enforcement?
        @Flag(help: "Print the budget and what changed as JSON.") var json = false

        func validate() throws {
            if let limit {
                guard let amount = USD(limit), amount > .zero else { throw ValidationError("--limit \"\(limit)\" must be an amount in USD above zero, e.g. 500") }
            }
            if let alertAt, Self.thresholds(alertAt) == nil {
                throw ValidationError("--alert-at \"\(alertAt)\" must be whole percentages from 1 to 1000, e.g. 50,80,100")
            }
        }

        static func thresholds(_ text: String) -> [Int]? {
            let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 1000 }) else { return nil }
            return Array(Swift.Set(values.compactMap { $0 })).sorted()
        }

        func run() throws {
            try reportingFailures {
                let update = BudgetUpdate(limit: limit.flatMap { USD($0) }, thresholds: alertAt.flatMap(Self.thresholds), enforcement: enforcement)
                let result = try ledger.open(.create).setBudget(scope: scope.scope, period: period, update)
                if json {
                    struct Output: Encodable { let budget: BudgetJSON; let created: Bool; let changes: [String] }
                    return try printJSON(Output(budget: BudgetJSON(result.status), created: result.created, changes: result.changes.map(BudgetText.change)))
                }
                let id = result.status.id
                if result.created {
                    print("Budget \(id) created.")
                } else if result.changes.isEmpty {
                    print("Budget \(id) unchanged: it already had these values.")
                } else {
                    print("Budget \(id) changed:")
                    for change in result.changes { print("  " + BudgetText.change(change)) }
                }
                print(BudgetText.table([result.status]))
                if result.changes.contains(.enforcement(from: .soft, to: .hard)), result.status.used > result.status.spec.limit {
                    warn("budget \(id) is already over its limit: every job it covers will be refused until the period ends or the limit is raised")
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every budget: limit, charged, held, remaining and a usage bar.")
        @OptionGroup var ledger: LedgerOptions
        @Flag(help: "Print JSON (an array).") var json = false

        func run() throws {
            try reportingFailures {
                let budgets = try ledger.open(.read).budgets()
                if json { try printJSON(budgets.map(BudgetJSON.init)) } else { print(BudgetText.table(budgets)) }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One budget in detail.")
        @OptionGroup var ledger: LedgerOptions
        @Argument(help: "The budget id (see `budget list`).") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingFailures {
                guard let status = try ledger.open(.read).budget(id: id) else {
                    throw LedgerError.notFound("there is no budget \(id); `kling-ledger budget list` shows them")
                }
                if json { try printJSON(BudgetJSON(status)) } else { print(BudgetText.detail(status)) }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Stop a budget from applying (its history stays for reports).")
        @OptionGroup var ledger: LedgerOptions
        @Argument(help: "The budget id.") var id: Int64
        @Flag(help: "Print the removed budget as JSON.") var json = false

        func run() throws {
            try reportingFailures {
                let status = try ledger.open(.write).removeBudget(id: id)
                if json { try printJSON(BudgetJSON(status)) } else { print("Budget \(status.id) (\(status.name)) removed.") }
            }
        }
    }
}

extension BudgetCommand {
    struct TimeZoneCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "time-zone",
            abstract: "Show the ledger's time zone, or set it (only before the first budget).",
            discussion: "Example: kling-ledger budget time-zone Europe/Berlin")
        @OptionGroup var ledger: LedgerOptions
        @Argument(help: "An IANA time zone such as Europe/Berlin; leave out to show the current one.") var zone: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let zone, TimeZone(identifier: zone) == nil {
                throw ValidationError("\"\(zone)\" is not a time zone; use an IANA name such as Europe/Berlin or UTC")
            }
        }

        func run() throws {
            try reportingFailures {
                let store = try ledger.open(zone == nil ? .read : .create)
                if let zone, let timeZone = TimeZone(identifier: zone) { try store.setTimeZone(timeZone) }
                let current = try store.timeZone().identifier
                if json {
                    struct Output: Encodable { let time_zone: String }
                    return try printJSON(Output(time_zone: current))
                }
                print("Budget periods start at midnight in \(current).")
            }
        }
    }
}

struct BudgetJSON: Encodable {
    let id: Int64
    let scope: String
    let period: String
    @Nullable var period_start: String?
    @Nullable var period_end: String?
    let enforcement: String
    let limit_usd: String
    let charged_usd: String
    let held_usd: String
    let remaining_usd: String
    let peak_usd: String
    let thresholds: [Int]

    init(_ status: BudgetStatus) {
        id = status.id
        scope = status.spec.scope.description
        period = status.spec.period.rawValue
        period_start = status.periodStart.map(Timestamp.string)
        period_end = status.periodEnd.map(Timestamp.string)
        enforcement = status.spec.enforcement.rawValue
        limit_usd = status.spec.limit.decimalString
        charged_usd = status.charged.decimalString
        held_usd = status.held.decimalString
        remaining_usd = status.remaining.decimalString
        peak_usd = status.peak.decimalString
        thresholds = status.spec.thresholds
    }
}

enum BudgetText {
    static func table(_ budgets: [BudgetStatus]) -> String {
        guard !budgets.isEmpty else { return "No budgets. Set one with: kling-ledger budget set --team T --limit 500" }
        let header = "  id  scope                 period  limit       charged     held        remaining   usage"
        return ([header] + budgets.map(line)).joined(separator: "\n")
    }

    static func line(_ status: BudgetStatus) -> String {
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        let id = String(status.id)
        let enforcement = status.spec.enforcement == .soft ? " (soft)" : ""
        return String(repeating: " ", count: max(0, 4 - id.count)) + id + "  " + pad(status.spec.scope.description + enforcement, 20) + "  "
            + pad(status.spec.period.rawValue, 6) + "  " + pad(status.spec.limit.formatted, 10) + "  " + pad(status.charged.formatted, 10)
            + "  " + pad(status.held.formatted, 10) + "  " + pad(status.remaining.formatted, 10) + "  " + bar(status)
    }

    /// `[#######-------------] 35%`: charged as #, held as +.
    static func bar(_ status: BudgetStatus, width: Int = 20) -> String {
        let limit = max(status.spec.limit.micros, 1)
        func cells(_ micros: Int64) -> Int { Int(min(Int64(width), micros * Int64(width) / limit)) }
        let charged = cells(status.charged.micros)
        let held = min(width - charged, cells(status.held.micros))
        let percent = status.used.micros * 100 / limit
        return "[" + String(repeating: "#", count: charged) + String(repeating: "+", count: held)
            + String(repeating: "-", count: width - charged - held) + "] \(percent)%"
    }

    /// `limit $2.00 → $3.00`, `enforcement soft → hard: jobs that do not fit are now refused`.
    static func change(_ change: BudgetChange.Field) -> String {
        switch change {
        case .limit(let from, let to): "limit \(from.formatted) → \(to.formatted)"
        case .thresholds(let from, let to):
            "alerts at \(from.map { "\($0)%" }.joined(separator: ",")) → \(to.map { "\($0)%" }.joined(separator: ","))"
        case .enforcement(.soft, .hard): "enforcement soft → hard: jobs that do not fit are now refused, not just warned about"
        case .enforcement(let from, let to): "enforcement \(from.rawValue) → \(to.rawValue)"
        }
    }

    static func detail(_ status: BudgetStatus) -> String {
        let period = status.periodStart.map { start in
            "\(status.spec.period.rawValue) from \(Timestamp.string(start))" + (status.periodEnd.map { " to \(Timestamp.string($0))" } ?? "")
        } ?? "total (no period)"
        return """
            Budget \(status.id): \(status.spec.scope.description), \(status.spec.enforcement.rawValue)
              period:    \(period)
              limit:     \(status.spec.limit.formatted)
              charged:   \(status.charged.formatted)
              held:      \(status.held.formatted)
              remaining: \(status.remaining.formatted)
              peak:      \(status.peak.formatted)
              alerts at: \(status.spec.thresholds.map { "\($0)%" }.joined(separator: ", "))
              usage:     \(bar(status))
            """
    }
}
