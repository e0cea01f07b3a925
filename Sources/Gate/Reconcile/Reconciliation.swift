import Foundation
import KlingCore
import Ledger

/// What a provider billed for one task: units (the official API) or dollars (a reseller's
/// usage export), and when.
public struct BilledTask: Sendable, Equatable {
    public enum Amount: Sendable, Equatable {
        case units(Units)
        case dollars(USD)
    }

    public let taskID: String
    public let amount: Amount
    /// When it was deducted; `nil` when the export does not say.
    public let billedAt: Date?
    public let model: String?
    /// `std` or `pro`, read from the provider's resolution (`720p`, `1080p`).
    public let mode: Mode?
    public let durationSeconds: Int?

    public init(taskID: String, amount: Amount, billedAt: Date?, model: String? = nil, mode: Mode? = nil, durationSeconds: Int? = nil) {
        self.taskID = taskID
        self.amount = amount
        self.billedAt = billedAt
        self.model = model
        self.mode = mode
        self.durationSeconds = durationSeconds
    }
}

/// The ledger compared with a provider's bill, task by task, for one window.
public struct Reconciliation: Sendable {
    public let provider: Provider
    /// Where the bill came from: `billing` (the provider's deduction record) or `csv`.
    public let source: String
    public let start: Date
    public let end: Date
    public let lines: [ReconciliationLine]
    /// The billed tasks the ledger's lines came from, by task id (for applying them).
    let billed: [String: BilledTask]
    /// The dollar price of a billed unit for tasks the ledger has no quote for.
    let unitPrice: UnitPriceUsed?
    /// Some open submissions have no task id yet: billed tasks the ledger cannot match may be
    /// theirs, so they are not recorded as unattributed.
    public let ambiguous: Bool

    /// The unit price used for billed units the ledger has no quote for.
    public struct UnitPriceUsed: Sendable {
        public let amount: USD
        public let source: UnitPriceSource
    }

    /// Whether the ledger and the bill agree on every task.
    public var agrees: Bool { lines.allSatisfy { $0.reconciliationClass == .agrees } }

    /// Count and money of one class.
    public struct Total: Sendable, Equatable {
        public var count = 0
        public var ledger = USD.zero
        public var billed = USD.zero

        public init() {}
    }

    /// Each class's count, ledger and billed totals (a sum past the largest amount stops there).
    public var totals: [ReconciliationClass: Total] {
        var totals: [ReconciliationClass: Total] = [:]
        for line in lines {
            var total = totals[line.reconciliationClass, default: Total()]
            total.count += 1
            total.ledger = (try? total.ledger.adding(line.ledger ?? .zero)) ?? total.ledger
            total.billed = (try? total.billed.adding(line.billed ?? .zero)) ?? total.billed
            totals[line.reconciliationClass] = total
        }
        return totals
    }
}
