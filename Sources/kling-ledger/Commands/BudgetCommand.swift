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
            abstract: "Create a budget, or change the limit of the one with the same scope and period.",
            discussion: "Example: kling-ledger budget set --team video --period month --limit 500 --alert-at 50,80,100")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var scope: Scope
        @Option(help: "month, week, day or total.") var period: BudgetPeriod = .month
        @Option(help: ArgumentHelp("The limit in USD, e.g. 500 or 49.99.", valueName: "usd")) var limit: String
        @Option(help: ArgumentHelp("Alert thresholds in percent of the limit.", valueName: "p1,p2,…")) var alertAt: String = "50,80,100"
        @Option(help: "hard (refuse) or soft (allow and warn).") var enforcement: Enforcement = .hard

        func validate() throws {
            guard let amount = USD(limit), amount > .zero else { throw ValidationError("--limit \"\(limit)\" must be an amount in USD above zero, e.g. 500") }
            guard thresholds != nil else { throw ValidationError("--alert-at \"\(alertAt)\" must be whole percentages from 1 to 1000, e.g. 50,80,100") }
        }

        var thresholds: [Int]? {
            let values = alertAt.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 1000 }) else { return nil }
            return Array(Swift.Set(values.compactMap { $0 })).sorted()
        }

        func run() throws {
            try reportingFailures {
                let spec = BudgetSpec(scope: scope.scope, period: period, limit: USD(limit) ?? .zero, thresholds: thresholds ?? [], enforcement: enforcement)
                let status = try global.openLedger().setBudget(spec)
                print("Budget \(status.id) set.")
                print(BudgetText.line(status))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every budget: limit, charged, held, remaining and a usage bar.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingFailures {
                let budgets = try global.openLedger().budgets()
                if json { try printJSON(budgets.map(BudgetJSON.init)) } else { print(BudgetText.table(budgets)) }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One budget in detail.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The budget id (see `budget list`).") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingFailures {
                guard let status = try global.openLedger().budget(id: id) else {
                    throw LedgerError.conflict("there is no budget \(id); `kling-ledger budget list` shows them")
                }
                if json { try printJSON(BudgetJSON(status)) } else { print(BudgetText.detail(status)) }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a budget from applying (its history stays for reports).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The budget id.") var id: Int64

        func run() throws {
            try reportingFailures {
                let status = try global.openLedger().removeBudget(id: id)
                print("Budget \(status.id) (\(status.name)) removed.")
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
        @OptionGroup var global: GlobalOptions
        @Argument(help: "An IANA time zone such as Europe/Berlin; leave out to show the current one.") var zone: String?

        func validate() throws {
            if let zone, TimeZone(identifier: zone) == nil {
                throw ValidationError("\"\(zone)\" is not a time zone; use an IANA name such as Europe/Berlin or UTC")
            }
        }

        func run() throws {
            try reportingFailures {
                let ledger = try global.openLedger()
                if let zone, let timeZone = TimeZone(identifier: zone) { try ledger.setTimeZone(timeZone) }
                print("Budget periods start at midnight in \(try ledger.timeZone().identifier).")
            }
        }
    }
}

struct BudgetJSON: Encodable {
    let id: Int64
    let scope: String
    let period: String
    let period_start: String?
    let period_end: String?
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
