import Foundation
import KlingCore

extension PriceBook {
    /// Prices a job with the table version in force at `instant`.
    ///
    /// - Parameters:
    ///   - job: the job; the provider's defaults fill in a missing model or mode.
    ///   - instant: when the job is submitted; the version in force then applies.
    ///   - unitPriceOverride: the organisation's unit price for official Kling units, if it
    ///     differs from the table's list price (see `UnitPrice.override`).
    /// - Throws: `PricingError` when the provider does not offer the job, has no table or version
    ///   in force, or no rule matches. Nothing is ever priced at $0 for lack of a rule.
    public func quote(
        _ request: BillableJob, at instant: Date = Date(), unitPriceOverride: UnitPrice? = nil
    ) throws(PricingError) -> Quote {
        let job: BillableJob
        do { job = try request.resolved() } catch { throw .notOffered(error) }
        let table = try table(for: job.provider)
        guard let version = table.version(at: instant) else {
            throw .noVersion(job.provider, file: table.file, at: instant)
        }
        let (ruleIndex, rule) = try version.rule(for: job, file: table.file)
        let unitPrice = rule.price.isUnitBased ? unitPrice(in: version, of: table, override: unitPriceOverride) : nil
        let (amount, units) = try rule.price.charge(seconds: job.durationSeconds)
            .inDollars(unitPrice: unitPrice?.amount, provider: job.provider, version: version.id)
        return Quote(
            job: job, amount: amount, units: units, unitPrice: unitPrice, tableFile: table.file,
            versionID: version.id, versionEffectiveFrom: version.effectiveFrom, ruleNumber: ruleIndex + 1,
            rule: rule, estimated: table.estimated, source: table.source)
    }

    /// The dollar price of one of a provider's units at `instant`: the override for official
    /// units, else the list price of the table version in force; `nil` when the provider's
    /// table has no unit price.
    public func unitPrice(for provider: Provider, at instant: Date = Date(), override: UnitPrice? = nil) throws(PricingError) -> UnitPrice? {
        let table = try table(for: provider)
        guard let version = table.version(at: instant) else { throw .noVersion(provider, file: table.file, at: instant) }
        return unitPrice(in: version, of: table, override: override)
    }

    /// The override applies to the official API's units only: a reseller's units, if a table
    /// used them, are that reseller's and have their own price.
    private func unitPrice(in version: PriceVersion, of table: PriceTable, override: UnitPrice?) -> UnitPrice? {
        if table.provider == .kling, let override { return override }
        return version.unitPrice.map { UnitPrice(amount: $0, origin: .table(version: version.id)) }
    }
}

extension PriceVersion {
    /// The first rule matching a resolved job.
    /// - Throws: `PricingError.noRule` naming the job and the table consulted.
    func rule(for job: BillableJob, file: String) throws(PricingError) -> (Int, PriceRule) {
        guard let index = rules.firstIndex(where: { $0.match.matches(job) }) else {
            throw .noRule(job, file: file, version: id)
        }
        return (index, rules[index])
    }
}

extension RulePrice {
    /// What one clip of `seconds` costs under this rule, in the rule's own currency.
    func charge(seconds: Int) throws(PricingError) -> Charge {
        do {
            switch self {
            case .usdPerClip(let usd): return .dollars(usd)
            case .usdPerSecond(let usd): return .dollars(try usd.times(seconds))
            case .unitsPerClip(let units): return .units(units)
            case .unitsPerSecond(let rate): return .units(try rate.times(seconds))
            }
        } catch {
            throw .overflow
        }
    }
}

/// A rule's price for one job: dollars, or units still to be converted at a unit price.
enum Charge {
    case dollars(USD)
    case units(Units)

    /// The dollars, converting units at `unitPrice`.
    /// - Throws: `PricingError.missingUnitPrice` rather than treat a missing price as $0.
    func inDollars(unitPrice: USD?, provider: Provider, version: String) throws(PricingError) -> (USD, Units?) {
        switch self {
        case .dollars(let usd):
            return (usd, nil)
        case .units(let units):
            guard let unitPrice else { throw .missingUnitPrice(provider, version: version) }
            do { return (try units.cost(at: unitPrice), units) } catch { throw .overflow }
        }
    }
}
