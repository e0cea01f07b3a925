import Foundation
import KlingCore

extension PriceTable {
    /// Reads and checks one table.
    ///
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - file: the file's path, used in messages.
    /// - Throws: `PricingError.invalidTable` with the file, the JSON path and what is wrong:
    ///   malformed JSON, an unknown field, an unknown provider, kind, model or mode, a negative
    ///   or non-decimal price, a rule that can never match, or versions that overlap.
    public init(decoding data: Data, file: String) throws(PricingError) {
        let raw: TableFile
        do throws(TableReadError) {
            let document: JSONValue
            do {
                document = try JSONValue(parsing: data)
            } catch {
                throw TableReadError(path: "(top level)", problem: "not valid JSON: \(error)")
            }
            raw = try TableFile(document)
        } catch {
            throw PricingError.invalidTable(file: file, path: error.path, problem: error.problem)
        }
        try self.init(raw, file: file)
    }

    private init(_ raw: TableFile, file: String) throws(PricingError) {
        func invalid(_ path: String, _ problem: String) -> PricingError {
            .invalidTable(file: file, path: path, problem: problem)
        }
        guard let provider = Provider(rawValue: raw.provider) else {
            throw invalid("provider", "unknown provider \"\(raw.provider)\"; use one of: \(Provider.namesList)")
        }
        guard raw.currency == "USD" else {
            throw invalid("currency", "\"\(raw.currency)\" is not supported; KlingLedger keeps money in USD")
        }
        guard !raw.source.allSatisfy(\.isWhitespace) else {
            throw invalid("source", "say where the figures come from, so every quote can name its source")
        }
        guard let settlement = SettlementBasis(rawValue: raw.settlement) else {
            throw invalid("settlement", "\"\(raw.settlement)\" is not one of: final_unit_deduction, table")
        }
        guard !raw.versions.isEmpty else { throw invalid("versions", "a table needs at least one version") }

        let profile = ProviderCatalog.profile(provider)
        var versions: [PriceVersion] = []
        for (index, version) in raw.versions.enumerated() {
            versions.append(try PriceVersion(version, profile: profile, path: "versions[\(index)]", file: file))
        }
        try Self.checkPeriods(versions, raw: raw.versions, file: file)
        if settlement == .finalUnitDeduction, let index = versions.firstIndex(where: { $0.unitPrice == nil }) {
            throw invalid(
                "versions[\(index)].unit_price_usd",
                "settlement by final_unit_deduction needs the unit price the units are converted at")
        }

        self.provider = provider
        self.source = raw.source
        self.estimated = raw.estimated ?? false
        self.settlement = settlement
        self.versions = versions.sorted { $0.effectiveFrom < $1.effectiveFrom }
        self.file = file
    }

    /// Versions must have distinct ids and periods that do not overlap.
    private static func checkPeriods(_ versions: [PriceVersion], raw: [VersionFile], file: String) throws(PricingError) {
        let ordered = versions.indices.sorted { versions[$0].effectiveFrom < versions[$1].effectiveFrom }
        for (earlier, later) in zip(ordered, ordered.dropFirst()) {
            let first = versions[earlier]
            let second = versions[later]
            let firstEnd = first.effectiveUntil ?? second.effectiveFrom
            if first.effectiveFrom == second.effectiveFrom || firstEnd > second.effectiveFrom {
                throw .invalidTable(
                    file: file, path: "versions[\(later)].effective_from",
                    problem: "version \"\(second.id)\" overlaps version \"\(first.id)\" (versions[\(earlier)]), "
                        + "which is in force until \(raw[earlier].effectiveUntil ?? raw[later].effectiveFrom); "
                        + "give each version its own period")
            }
        }
        var seen: [String: Int] = [:]
        for (index, version) in versions.enumerated() {
            if let first = seen[version.id] {
                throw .invalidTable(
                    file: file, path: "versions[\(index)].id",
                    problem: "version id \"\(version.id)\" is already used by versions[\(first)]")
            }
            seen[version.id] = index
        }
    }
}

extension PriceVersion {
    fileprivate init(_ raw: VersionFile, profile: ProviderProfile, path: String, file: String) throws(PricingError) {
        func invalid(_ field: String, _ problem: String) -> PricingError {
            .invalidTable(file: file, path: "\(path).\(field)", problem: problem)
        }
        guard !raw.id.isEmpty else { throw invalid("id", "a version needs an id, stored with every quote") }
        guard let from = Date(iso8601OrDay: raw.effectiveFrom) else {
            throw invalid("effective_from", "\"\(raw.effectiveFrom)\" is not an ISO 8601 date such as 2026-01-01T00:00:00Z")
        }
        var until: Date?
        if let text = raw.effectiveUntil {
            guard let date = Date(iso8601OrDay: text) else {
                throw invalid("effective_until", "\"\(text)\" is not an ISO 8601 date such as 2026-07-01T00:00:00Z")
            }
            guard date > from else { throw invalid("effective_until", "must be later than effective_from") }
            until = date
        }
        var unitPrice: USD?
        if let text = raw.unitPriceUSD {
            guard let price = USD(text), price > .zero else {
                throw invalid("unit_price_usd", "\"\(text)\" is not a positive decimal price such as \"0.14\"")
            }
            unitPrice = price
        }
        guard !raw.rules.isEmpty else { throw invalid("rules", "a version needs at least one rule") }

        var rules: [PriceRule] = []
        for (index, rawRule) in raw.rules.enumerated() {
            let rulePath = "\(path).rules[\(index)]"
            let rule = try PriceRule(rawRule, profile: profile, path: rulePath, file: file)
            if rule.price.isUnitBased, unitPrice == nil {
                throw .invalidTable(
                    file: file, path: rulePath,
                    problem: "priced in units but the version has no unit_price_usd to convert them to dollars")
            }
            if let earlier = rules.firstIndex(where: { rule.match.isCovered(by: $0.match) }) {
                throw .invalidTable(
                    file: file, path: rulePath,
                    problem: "this rule can never match: rules[\(earlier)] (\(rules[earlier].match.summary)) comes "
                        + "first and matches every job it would; remove it or move it before rules[\(earlier)]")
            }
            rules.append(rule)
        }
        self.init(id: raw.id, effectiveFrom: from, effectiveUntil: until, unitPrice: unitPrice, rules: rules)
    }
}

extension PriceRule {
    fileprivate init(_ raw: RuleFile, profile: ProviderProfile, path: String, file: String) throws(PricingError) {
        func invalid(_ field: String, _ problem: String) -> PricingError {
            .invalidTable(file: file, path: field.isEmpty ? path : "\(path).\(field)", problem: problem)
        }
        guard raw.prices.count == 1, let (key, text) = raw.prices.first else {
            throw invalid(
                "", "a rule needs exactly one price field (usd_per_clip, usd_per_second, units_per_clip or "
                    + "units_per_second); found \(raw.prices.isEmpty ? "none" : raw.prices.map(\.key).joined(separator: ", "))")
        }
        guard let millionths = USD(text)?.micros else {
            throw invalid(key, "\"\(text)\" is not a decimal number written as a string, such as \"0.35\"")
        }
        guard millionths >= 0 else { throw invalid(key, "\"\(text)\" is negative; a price must be above zero") }
        // Fail closed: a zero (often a typo) would let jobs through for free. To refuse a job,
        // leave it unpriced.
        guard millionths > 0 else {
            throw invalid(key, "a price of zero would let jobs run for free; remove the rule to refuse such jobs")
        }
        let price: RulePrice =
            switch key {
            case "usd_per_clip": .usdPerClip(USD(micros: millionths))
            case "usd_per_second": .usdPerSecond(USD(micros: millionths))
            case "units_per_clip": .unitsPerClip(Units(millionths: millionths))
            default: .unitsPerSecond(Units(millionths: millionths))
            }
        let match = try RuleMatch(raw.match, profile: profile, path: "\(path).match", file: file)
        self.init(match: match, price: price, note: raw.note)
    }
}

extension RuleMatch {
    fileprivate init(_ raw: MatchFile?, profile: ProviderProfile, path: String, file: String) throws(PricingError) {
        func invalid(_ field: String, _ problem: String) -> PricingError {
            .invalidTable(file: file, path: "\(path).\(field)", problem: problem)
        }
        func nonEmpty<T>(_ values: [T]?, _ field: String) throws(PricingError) -> [T]? {
            if let values, values.isEmpty {
                throw invalid(field, "an empty list can never match; leave the field out to match any \(field.dropLast())")
            }
            return values
        }
        /// Names of a vocabulary enum (kinds, modes) read into a set, each one checked.
        func parse<Name: RawRepresentable & CaseIterable>(
            _ names: [String]?, _ field: String
        ) throws(PricingError) -> Set<Name>? where Name.RawValue == String {
            guard let names = try nonEmpty(names, field) else { return nil }
            var parsed: Set<Name> = []
            for name in names {
                guard let value = Name(rawValue: name) else {
                    let known = Name.allCases.map(\.rawValue).joined(separator: ", ")
                    throw invalid(field, "unknown \(field.dropLast()) \"\(name)\"; use one of: \(known)")
                }
                parsed.insert(value)
            }
            return parsed
        }
        let provider = profile.provider.rawValue
        let kinds: Set<VideoKind>? = try parse(raw?.kinds, "kinds")
        let modes: Set<Mode>? = try parse(raw?.modes, "modes")
        var models: Set<String>?
        if let names = try nonEmpty(raw?.models, "models") {
            guard profile.choosesModel else {
                throw invalid("models", "\(provider) has no model parameter; leave the field out")
            }
            for name in names where !profile.modelNames.contains(name) {
                throw invalid(
                    "models", "unknown model \"\(name)\" for \(provider); known: \(profile.modelNames.joined(separator: ", "))")
            }
            models = Set(names)
        }
        if let durations = try nonEmpty(raw?.durations, "durations"), let bad = durations.first(where: { $0 <= 0 }) {
            throw invalid("durations", "\(bad) is not a duration; durations are whole seconds above zero")
        }
        self.init(
            kinds: kinds, models: models, modes: modes, durations: raw?.durations.map(Set.init), sound: raw?.sound)

        // A rule that no documented job can reach is a mistake in the table, not a price.
        let reachable = profile.models.contains { spec in
            (models.map { spec.name.map($0.contains) ?? false } ?? true)
                && (kinds.map { !$0.isDisjoint(with: spec.kinds) } ?? true)
                && (modes.map { !$0.isDisjoint(with: spec.modes) } ?? true)
                && (durations.map { !$0.isDisjoint(with: spec.durations) } ?? true)
                && (sound != true || spec.supportsSound)
        }
        guard reachable else {
            throw .invalidTable(
                file: file, path: path,
                problem: "this rule can never match: no \(provider) model accepts \(summary)")
        }
    }
}
