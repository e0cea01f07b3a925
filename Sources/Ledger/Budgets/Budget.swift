import Foundation
import KlingCore

/// Whose spending a budget limits.
public enum BudgetScope: Hashable, Sendable {
    case all
    case team(String)
    case project(String)
    case user(String)
    case provider(Provider)

    /// The scope's kind (`all`, `team`, `project`, `user`, `provider`) and its value, as stored.
    public var stored: (name: String, value: String?) {
        switch self {
        case .all: ("all", nil)
        case .team(let team): ("team", team)
        case .project(let project): ("project", project)
        case .user(let user): ("user", user)
        case .provider(let provider): ("provider", provider.rawValue)
        }
    }

    init?(name: String, value: String?) {
        switch (name, value) {
        case ("all", nil): self = .all
        case ("team", let value?): self = .team(value)
        case ("project", let value?): self = .project(value)
        case ("user", let value?): self = .user(value)
        case ("provider", let value?):
            guard let provider = Provider(rawValue: value) else { return nil }
            self = .provider(provider)
        default: return nil
        }
    }

    /// `team video`, `all`.
    public var description: String {
        let (name, value) = stored
        return value.map { "\(name) \($0)" } ?? "all"
    }
}

/// The calendar period a budget's limit applies to, in the ledger's time zone.
public enum BudgetPeriod: String, CaseIterable, Sendable {
    case month, week, day, total

    /// The start of the period holding `instant`; `nil` for `total`, which never ends.
    public func start(containing instant: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        switch self {
        case .month: return calendar.dateInterval(of: .month, for: instant)?.start
        case .week: return calendar.dateInterval(of: .weekOfYear, for: instant)?.start
        case .day: return calendar.startOfDay(for: instant)
        case .total: return nil
        }
    }

    /// The end (exclusive) of the period that starts at `start`.
    public func end(startingAt start: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        // The end of the calendar interval holding `start`, not start + one unit: where a
        // midnight does not exist (a daylight-saving change at 00:00), a day starts at 01:00 and
        // adding a day to it would keep every later period at 01:00.
        switch self {
        case .month: return calendar.dateInterval(of: .month, for: start)?.end
        case .week: return calendar.dateInterval(of: .weekOfYear, for: start)?.end
        case .day: return calendar.dateInterval(of: .day, for: start)?.end
        case .total: return nil
        }
    }

    /// The key of a period in `budget_usage`: its start, or `total`.
    func key(containing instant: Date, in timeZone: TimeZone) -> String {
        start(containing: instant, in: timeZone).map(Timestamp.string) ?? "total"
    }
}

/// Whether going over a budget refuses the job or only warns.
public enum Enforcement: String, Sendable {
    case hard, soft
}

/// A budget as the user sets it.
public struct BudgetSpec: Sendable, Equatable {
    public var scope: BudgetScope
    public var period: BudgetPeriod
    public var limit: USD
    /// Percentages of the limit at which alerts fire.
    public var thresholds: [Int]
    public var enforcement: Enforcement

    /// The thresholds a budget alerts at unless told otherwise.
    public static let defaultThresholds = [50, 80, 100]

    public init(scope: BudgetScope, period: BudgetPeriod, limit: USD, thresholds: [Int] = defaultThresholds, enforcement: Enforcement = .hard) {
        self.scope = scope
        self.period = period
        self.limit = limit
        self.thresholds = thresholds
        self.enforcement = enforcement
    }
}

/// The fields of a budget to set; `nil` leaves a field as it is.
public struct BudgetUpdate: Sendable, Equatable {
    public var limit: USD?
    public var thresholds: [Int]?
    public var enforcement: Enforcement?

    public init(limit: USD? = nil, thresholds: [Int]? = nil, enforcement: Enforcement? = nil) {
        self.limit = limit
        self.thresholds = thresholds
        self.enforcement = enforcement
    }
}

/// What setting a budget did.
public struct BudgetChange: Sendable, Equatable {
    /// One field that changed, from what to what.
    public enum Field: Sendable, Equatable {
        case limit(from: USD, to: USD)
        case thresholds(from: [Int], to: [Int])
        case enforcement(from: Enforcement, to: Enforcement)
    }

    public let status: BudgetStatus
    /// A new budget, rather than a change to one in force.
    public let created: Bool
    /// The fields that changed (empty for a new budget, or when nothing given differed).
    public let changes: [Field]
}

/// A budget and its usage in one period.
public struct BudgetStatus: Sendable, Equatable {
    public let id: Int64
    public let spec: BudgetSpec
    /// The period's bounds; `nil` for a `total` budget.
    public let periodStart: Date?
    public let periodEnd: Date?
    public let charged: USD
    public let held: USD
    /// The highest charged + held reached in the period.
    public let peak: USD

    /// Charged + held (saturating: a sum past the largest amount reads as the largest).
    public var used: USD { USD(micros: Self.saturatingSum(charged.micros, held.micros)) }
    /// What is left under the limit (negative when a soft budget was overrun).
    public var remaining: USD { USD(micros: Self.saturatingSum(spec.limit.micros, -used.micros)) }
    /// Whether this quote fits under the limit on top of what is used. A sum too large to
    /// represent does not fit: the check fails closed instead of trapping.
    public func fits(_ quote: USD) -> Bool {
        let (total, overflow) = used.micros.addingReportingOverflow(quote.micros)
        return !overflow && total <= spec.limit.micros
    }

    /// `a + b`, or the nearest representable amount when the sum overflows.
    static func saturatingSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }

    /// `team video, month from 2026-11-01`.
    public var name: String {
        let period = spec.period == .total ? "total" : spec.period.rawValue
        return "\(spec.scope.description) (\(period))"
    }
}
