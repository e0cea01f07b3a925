import Foundation
import KlingCore

/// How a task ended, as far as its cost is concerned.
public enum TaskOutcome: Sendable, Equatable {
    /// The task produced its videos.
    ///
    /// - Parameters:
    ///   - finalUnitDeduction: the provider's `final_unit_deduction`, exactly as sent.
    ///   - deliveredSeconds: each delivered video's duration as the provider wrote it ("5.1").
    case succeeded(finalUnitDeduction: String?, deliveredSeconds: [String])
    /// The task failed (content moderation included): the official API bills nothing.
    case failed
}

/// The real cost of a finished task.
public struct Settlement: Sendable, Equatable {
    public let amount: USD
    /// The units deducted, for unit-billed providers.
    public let units: Units?
    /// How the amount was worked out, for the ledger's note.
    public let basis: String
}

extension PriceBook {
    /// Works out what a finished task really cost: the actual cost wins over the quote.
    ///
    /// - Official Kling: `final_unit_deduction` × the unit price recorded with the quote.
    /// - Resellers: the quote's table version applied to the videos delivered (each delivered
    ///   duration rounded to whole seconds); a success that reports no duration is billed as
    ///   requested.
    /// - Failed tasks cost nothing.
    ///
    /// - Parameters:
    ///   - job: the job as quoted (resolved).
    ///   - versionID: the table version recorded with the quote.
    ///   - unitPrice: the unit price recorded with the quote, for unit-billed providers.
    /// - Throws: `PricingError` when the provider's figure is missing or not exact, or the
    ///   version is gone: the caller then keeps the hold rather than guess.
    public func settle(
        _ job: BillableJob, versionID: String, unitPrice: USD?, outcome: TaskOutcome
    ) throws(PricingError) -> Settlement {
        guard case .succeeded(let finalUnitDeduction, let deliveredSeconds) = outcome else {
            return Settlement(amount: .zero, units: nil, basis: "failed task: not billed")
        }
        let table = try table(for: job.provider)
        guard let version = table.versions.first(where: { $0.id == versionID }) else {
            throw .unknownVersion(job.provider, version: versionID, file: table.file)
        }

        switch table.settlement {
        case .finalUnitDeduction:
            guard let text = finalUnitDeduction else { throw .missingFinalUnitDeduction(job.provider) }
            guard let units = Units(text), units >= .zero else { throw .invalidFinalUnitDeduction(text) }
            let (amount, _) = try Charge.units(units)
                .inDollars(unitPrice: unitPrice, provider: job.provider, version: versionID)
            let price = unitPrice.map(\.formatted) ?? "?"
            return Settlement(
                amount: amount, units: units, basis: "final_unit_deduction \(text) × \(price) per unit")

        case .table:
            let clips = try deliveredSeconds.map { text throws(PricingError) in
                guard let seconds = roundedWholeSeconds(text) else { throw .invalidDeliveredDuration(text) }
                return seconds
            }
            var total = USD.zero
            var totalUnits: Units?
            for seconds in clips.isEmpty ? [job.durationSeconds] : clips {
                var delivered = job
                delivered.durationSeconds = seconds
                let (_, rule) = try version.rule(for: delivered, file: table.file)
                let (amount, units) = try rule.price.charge(seconds: seconds)
                    .inDollars(unitPrice: unitPrice ?? version.unitPrice, provider: job.provider, version: versionID)
                do {
                    total = try total.adding(amount)
                    if let units { totalUnits = try (totalUnits ?? .zero).adding(units) }
                } catch { throw .overflow }
            }
            let described = clips.isEmpty ? "as requested (\(job.durationSeconds) s)" : clips.map { "\($0) s" }.joined(separator: ", ")
            return Settlement(
                amount: total, units: totalUnits, basis: "\(table.file) version \(versionID) applied to delivered videos: \(described)")
        }
    }
}

/// A provider's decimal seconds ("5.1") rounded half up to whole seconds; `nil` if not a decimal.
func roundedWholeSeconds(_ text: String) -> Int? {
    guard let exact = Units(text), exact >= .zero else { return nil }
    let whole = exact.millionths / 1_000_000
    let fraction = exact.millionths % 1_000_000
    return Int(fraction >= 500_000 ? whole + 1 : whole)
}
