import Foundation
import KlingCore

/// Something a person should know about the money, raised at most once: a budget crossing one
/// of its thresholds, projected to run out, or charged above a hold (in the transaction that
/// moved the money); or a resource pack running low or expiring with units unused.
public struct Alert: Sendable, Equatable {
    /// What raised an alert.
    public enum Kind: String, Sendable {
        /// Charged + held reached `percent` of the limit.
        case threshold
        /// The period's burn rate reaches the limit before the period ends, on `projectedAt`.
        case forecast
        /// A hard budget's submission was charged more than it held (`percent` of its hold):
        /// the budget can be over its limit although every hold fitted.
        case overrun
        /// A resource pack's remaining units fell below `percent` of its total.
        case packLow = "pack_low"
        /// At the current burn rate a resource pack expires (`projectedAt`) with units unused.
        case packExpiring = "pack_expiring"
    }

    /// What the alert is about.
    public enum Subject: Sendable, Equatable {
        case budget(BudgetFacts)
        case pack(PackFacts)
    }

    /// A budget at the moment an alert was raised, and the money movement that raised it.
    public struct BudgetFacts: Sendable, Equatable {
        public let budgetID: Int64
        public let scope: BudgetScope
        public let period: BudgetPeriod
        /// The period's first instant; `nil` for a `total` budget.
        public let periodStart: Date?
        /// The period's end (exclusive); `nil` for a `total` budget.
        public let periodEnd: Date?
        public let limit: USD
        public let charged: USD
        public let held: USD
        public let submissionID: String
        public let entryKind: EntryKind
        public let entryAmount: USD

        /// Charged + held when the alert was raised.
        public var used: USD { USD(micros: BudgetStatus.saturatingSum(charged.micros, held.micros)) }

        /// Used as a whole percentage of the limit, rounded down.
        public var percentUsed: Int64 {
            guard limit.micros > 0 else { return 0 }
            return Int64(clamping: Int128(used.micros) * 100 / Int128(limit.micros))
        }
    }

    /// A resource pack when an alert was raised, as the provider reported it.
    public struct PackFacts: Sendable, Equatable {
        /// The provider's pack id.
        public let id: String
        public let name: String
        public let total: Units
        public let remaining: Units
        public let effectiveAt: Date
        public let expiresAt: Date
        /// The units left unused at expiry at the current burn rate.
        public let unusedAtExpiry: Units?

        public init(id: String, name: String, total: Units, remaining: Units, effectiveAt: Date, expiresAt: Date, unusedAtExpiry: Units?) {
            self.id = id
            self.name = name
            self.total = total
            self.remaining = remaining
            self.effectiveAt = effectiveAt
            self.expiresAt = expiresAt
            self.unusedAtExpiry = unusedAtExpiry
        }
    }

    public let id: Int64
    public let kind: Kind
    /// The threshold crossed (a forecast is about 100 %; an overrun is the charge as a
    /// percentage of its hold; a low pack, the remaining percentage it fell below).
    public let percent: Int
    public let subject: Subject
    public let projectedAt: Date?
    public let createdAt: Date
    /// The ledger's time zone, in which periods and dates are told.
    public let timeZone: TimeZone

    /// The budget's facts, for a budget's alert.
    public var budget: BudgetFacts? { if case .budget(let facts) = subject { facts } else { nil } }
    /// The pack's facts, for a pack's alert.
    public var pack: PackFacts? { if case .pack(let facts) = subject { facts } else { nil } }

    /// The period as a person names it: `2026-11`, `week of 2026-11-16`, `2026-11-21`, `all time`;
    /// for a pack, its validity.
    public var periodLabel: String {
        switch subject {
        case .pack(let pack): return "\(Self.day(pack.effectiveAt, in: timeZone)) to \(Self.day(pack.expiresAt, in: timeZone))"
        case .budget(let budget):
            guard let periodStart = budget.periodStart else { return "all time" }
            let day = Self.day(periodStart, in: timeZone)
            switch budget.period {
            case .month: return String(day.prefix(7))
            case .week: return "week of \(day)"
            case .day: return day
            case .total: return "all time"
            }
        }
    }

    /// One readable line: who, how much, which period, and what triggered it.
    public var message: String {
        switch subject {
        case .budget(let budget): return budgetMessage(budget)
        case .pack(let pack):
            let units = "\(pack.remaining.decimalString) of \(pack.total.decimalString) units left"
            let expiry = Self.day(pack.expiresAt, in: timeZone)
            if kind == .packLow {
                return "Resource pack \(pack.name) (\(pack.id)) is below \(percent) %: \(units); it expires \(expiry)"
            }
            let unused = pack.unusedAtExpiry.map { "about \($0.decimalString) units" } ?? "units"
            return "Resource pack \(pack.name) (\(pack.id)) will expire on \(expiry) with \(unused) unused at the current burn rate "
                + "(\(units)): units that expire are money lost"
        }
    }

    private func budgetMessage(_ budget: BudgetFacts) -> String {
        let period = budget.period
        let cadence = ["month": "monthly", "week": "weekly", "day": "daily", "total": "total"][period.rawValue] ?? period.rawValue
        let who = "Budget \(budget.budgetID) (\(budget.scope.description), \(cadence))"
        let amounts =
            "\(budget.used.formatted) used of \(budget.limit.formatted) (\(budget.percentUsed) %: charged \(budget.charged.formatted), held \(budget.held.formatted))"
        let cause = "raised by a \(budget.entryAmount.formatted) \(budget.entryKind.rawValue) for submission \(budget.submissionID)"
        switch kind {
        case .threshold:
            return "\(who) crossed \(percent) % in \(periodLabel): \(amounts); \(cause)"
        case .forecast:
            let date = projectedAt.map { Self.day($0, in: timeZone) } ?? "?"
            let ends = budget.periodEnd.map { " (the period ends \(Self.day($0, in: timeZone)))" } ?? ""
            return "\(who) is on course to reach its limit on \(date)\(ends) in \(periodLabel): \(amounts); \(cause)"
        case .overrun, .packLow, .packExpiring:
            return "\(who) was charged more than it held for submission \(budget.submissionID) in \(periodLabel): "
                + "\(budget.entryAmount.formatted), \(percent) % of its hold; \(amounts). Check the job's price table"
        }
    }

    static func day(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}

/// Where an alert target's webhook URL comes from.
public enum WebhookAddress: Sendable, Equatable {
    /// Stored in the ledger.
    case url(String)
    /// Read from this environment variable when delivering, for URLs that are secrets
    /// themselves (a Slack incoming-webhook URL is one): they never land in the ledger.
    case environment(String)

    /// The URL to post to.
    /// - Throws: if the variable is unset or the URL is not a plain http(s) address.
    public func resolve(in environment: [String: String]) throws(AlertTargetError) -> URL {
        switch self {
        case .url(let text): return try Self.check(text)
        case .environment(let name):
            guard let text = environment[name], !text.isEmpty else { throw .variableUnset(name) }
            return try Self.check(text)
        }
    }

    /// Checks a URL can be a webhook: http or https, a host, no user or password in it.
    /// The error never repeats the URL, which may be a secret.
    @discardableResult
    public static func check(_ text: String) throws(AlertTargetError) -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty, let url = components.url
        else { throw .notAWebhookURL }
        guard components.user == nil, components.password == nil else { throw .credentialsInURL }
        return url
    }

    /// How it is shown: the scheme and host, and a short digest of the whole URL that tells two
    /// webhooks on one host apart (`https://hooks.slack.com/… #3fa9c2d1`), or `$NAME`. The path
    /// of a webhook URL is often its secret, so it is never shown.
    public var redacted: String {
        switch self {
        case .environment(let name): return "$" + name
        case .url(let text):
            guard let components = URLComponents(string: text), let scheme = components.scheme, let host = components.host else { return "…" }
            return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "") + "/… #" + Self.digest(text)
        }
    }

    /// FNV-1a, 32 bits: enough to tell a handful of URLs apart, too little to recover one.
    private static func digest(_ text: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return String(format: "%08x", hash)
    }
}

/// How an alert is written for a target.
public enum AlertFormat: String, Sendable, CaseIterable {
    /// Slack-compatible: `{"text": "…"}`.
    case slack
    /// A JSON document with the budget, scope, period, threshold and amounts.
    case json
}

/// A webhook that receives alerts: every budget's, or one team's.
public struct AlertTarget: Sendable, Equatable {
    public let id: Int64
    public let address: WebhookAddress
    /// `nil`: every budget's alerts; else the alerts of budgets scoped to this team.
    public let team: String?
    public let format: AlertFormat
    public let createdAt: Date
}

/// Why an alert target cannot be used. Never repeats a URL.
public enum AlertTargetError: Error, Sendable, Equatable {
    case notAWebhookURL
    case credentialsInURL
    case variableUnset(String)
    case noSuchTarget(Int64)
}

extension AlertTargetError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .notAWebhookURL: "the webhook is not an http(s) URL with a host; give one like https://hooks.example.com/kling"
        case .credentialsInURL:
            "the webhook URL carries a user or password, which would be stored in the ledger; put the whole URL in an environment variable and use --webhook-env NAME"
        case .variableUnset(let name): "the environment variable \(name), which holds this target's webhook URL, is not set"
        case .noSuchTarget(let id): "there is no alert target \(id); `kling-ledger alerts target list` shows them"
        }
    }
}

/// Where one alert stands with one target.
public struct AlertDelivery: Sendable, Equatable {
    public let alert: Alert
    public let target: AlertTarget
    /// Attempts made so far, this one included when claimed for sending.
    public let attempts: Int
    public let deliveredAt: Date?
    public let nextAttemptAt: Date
    /// Why the last attempt failed; never holds a URL.
    public let lastError: String?

    /// `delivered`, `retrying (attempt 3 failed: …)`, `waiting`.
    public var state: String {
        if deliveredAt != nil { return "delivered" }
        if let lastError { return "retrying after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(lastError)" }
        return "waiting"
    }
}
