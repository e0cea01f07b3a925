import Foundation
import KlingCore

/// One provider's prices: effective-dated versions of ordered rules, read from `pricing/NAME.json`.
public struct PriceTable: Sendable {
    /// The provider these prices apply to.
    public let provider: Provider
    /// Where the figures come from, shown with every quote.
    public let source: String
    /// Whether the figures are estimates awaiting the user's contract prices.
    public let estimated: Bool
    /// How the real cost of a finished task is worked out.
    public let settlement: SettlementBasis
    /// The versions, oldest first.
    public let versions: [PriceVersion]
    /// The file the table was read from, for messages.
    public let file: String

    /// The version in force at an instant: the latest to have started, unless it has ended
    /// (then no version is in force: an ended version never comes back into force).
    public func version(at instant: Date) -> PriceVersion? {
        guard let latest = versions.last(where: { $0.effectiveFrom <= instant }) else { return nil }
        if let until = latest.effectiveUntil, until <= instant { return nil }
        return latest
    }
}

/// How a finished task's real cost is computed.
public enum SettlementBasis: String, Codable, Sendable {
    /// The provider reports the units it deducted (`final_unit_deduction`), priced at the unit
    /// price recorded with the quote: the official Kling API.
    case finalUnitDeduction = "final_unit_deduction"
    /// The table applied to what was delivered: resellers billing in dollars.
    case table
}

/// A set of rules in force from `effectiveFrom` (inclusive) until the next version or
/// `effectiveUntil` (exclusive).
public struct PriceVersion: Sendable {
    /// The version's name, stored with every quote made from it.
    public let id: String
    public let effectiveFrom: Date
    public let effectiveUntil: Date?
    /// The list price of one unit, for tables priced in units.
    public let unitPrice: USD?
    /// The rules, in order: the first that matches a job prices it.
    public let rules: [PriceRule]
}

/// One line of a price table: which jobs it matches and what they cost.
public struct PriceRule: Sendable {
    public let match: RuleMatch
    public let price: RulePrice
    /// Why the figure is what it is, kept with the table.
    public let note: String?
}

/// The jobs a rule applies to. A missing field matches anything.
public struct RuleMatch: Sendable, Equatable {
    public var kinds: Set<VideoKind>?
    public var models: Set<String>?
    public var modes: Set<Mode>?
    public var durations: Set<Int>?
    public var sound: Bool?

    /// Whether a resolved job falls under this rule.
    public func matches(_ job: BillableJob) -> Bool {
        (kinds?.contains(job.kind) ?? true)
            && (models.map { job.model.map($0.contains) ?? false } ?? true)
            && (modes.map { job.mode.map($0.contains) ?? false } ?? true)
            && (durations?.contains(job.durationSeconds) ?? true)
            && (sound.map { $0 == job.sound } ?? true)
    }

    /// Whether every job this rule matches is also matched by `other` (so `self` is shadowed
    /// when `other` comes first).
    func isCovered(by other: RuleMatch) -> Bool {
        func covers<T>(_ outer: Set<T>?, _ inner: Set<T>?) -> Bool {
            guard let outer else { return true }
            guard let inner else { return false }
            return inner.isSubset(of: outer)
        }
        return covers(other.kinds, kinds) && covers(other.models, models) && covers(other.modes, modes)
            && covers(other.durations, durations) && (other.sound == nil || other.sound == sound)
    }

    /// A short description for quotes: `kling-v2-5-turbo pro 10 s`.
    public var summary: String {
        var parts: [String] = []
        if let kinds { parts.append(kinds.map(\.rawValue).sorted().joined(separator: "/")) }
        if let models { parts.append(models.sorted().joined(separator: "/")) }
        if let modes { parts.append(modes.map(\.rawValue).sorted().joined(separator: "/")) }
        if let durations { parts.append(durations.sorted().map(String.init).joined(separator: "/") + " s") }
        if let sound { parts.append(sound ? "with sound" : "no sound") }
        return parts.isEmpty ? "any job" : parts.joined(separator: " ")
    }
}

/// What a matched job costs.
public enum RulePrice: Sendable, Equatable {
    case usdPerClip(USD)
    case usdPerSecond(USD)
    case unitsPerClip(Units)
    case unitsPerSecond(Units)

    /// Whether the price is in provider units (converted at the unit price).
    public var isUnitBased: Bool {
        switch self {
        case .unitsPerClip, .unitsPerSecond: true
        case .usdPerClip, .usdPerSecond: false
        }
    }

    /// The figure as written: `$0.35 per clip`, `0.3 units per second`.
    public var summary: String {
        switch self {
        case .usdPerClip(let usd): "\(usd.formatted) per clip"
        case .usdPerSecond(let usd): "\(usd.formatted) per second"
        case .unitsPerClip(let units): "\(units) units per clip"
        case .unitsPerSecond(let units): "\(units) units per second"
        }
    }
}
