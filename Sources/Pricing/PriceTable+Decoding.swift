import Foundation
import KlingCore

// A price table is read in two steps: strict decoding of the JSON as written (unknown fields
// are errors, since a misspelt "model" would silently make a rule match every job), then
// validation into a `PriceTable`, where every problem is reported with the file and JSON path.

/// The JSON of one table, as written.
struct TableFile: Decodable {
    let provider: String
    let currency: String
    let source: String
    let estimated: Bool?
    let settlement: String
    let versions: [VersionFile]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case provider, currency, source, estimated, settlement, versions
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        provider = try container.decode(String.self, forKey: .provider)
        currency = try container.decode(String.self, forKey: .currency)
        source = try container.decode(String.self, forKey: .source)
        estimated = try container.decodeIfPresent(Bool.self, forKey: .estimated)
        settlement = try container.decode(String.self, forKey: .settlement)
        versions = try container.decode([VersionFile].self, forKey: .versions)
    }
}

struct VersionFile: Decodable {
    let id: String
    let effectiveFrom: String
    let effectiveUntil: String?
    let unitPriceUSD: String?
    let unitPriceNote: String?
    let rules: [RuleFile]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id
        case effectiveFrom = "effective_from"
        case effectiveUntil = "effective_until"
        case unitPriceUSD = "unit_price_usd"
        case unitPriceNote = "unit_price_note"
        case rules
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        effectiveFrom = try container.decode(String.self, forKey: .effectiveFrom)
        effectiveUntil = try container.decodeIfPresent(String.self, forKey: .effectiveUntil)
        unitPriceUSD = try container.decodeIfPresent(String.self, forKey: .unitPriceUSD)
        unitPriceNote = try container.decodeIfPresent(String.self, forKey: .unitPriceNote)
        rules = try container.decode([RuleFile].self, forKey: .rules)
    }
}

struct RuleFile: Decodable {
    let match: MatchFile?
    /// The price fields present, by JSON key; exactly one is allowed.
    let prices: [(key: String, value: String)]
    let note: String?

    static let priceKeys: [CodingKeys] = [.usdPerClip, .usdPerSecond, .unitsPerClip, .unitsPerSecond]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case match, note
        case usdPerClip = "usd_per_clip"
        case usdPerSecond = "usd_per_second"
        case unitsPerClip = "units_per_clip"
        case unitsPerSecond = "units_per_second"
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        match = try container.decodeIfPresent(MatchFile.self, forKey: .match)
        note = try container.decodeIfPresent(String.self, forKey: .note)
        prices = try Self.priceKeys.compactMap { key in
            try container.decodeIfPresent(String.self, forKey: key).map { (key.rawValue, $0) }
        }
    }
}

struct MatchFile: Decodable {
    let kinds: [String]?
    let models: [String]?
    let modes: [String]?
    let durations: [Int]?
    let sound: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kinds, models, modes, durations, sound
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kinds = try container.decodeIfPresent([String].self, forKey: .kinds)
        models = try container.decodeIfPresent([String].self, forKey: .models)
        modes = try container.decodeIfPresent([String].self, forKey: .modes)
        durations = try container.decodeIfPresent([Int].self, forKey: .durations)
        sound = try container.decodeIfPresent(Bool.self, forKey: .sound)
    }
}

/// Any JSON object key, to list the keys a file really has.
private struct AnyKey: CodingKey {
    let stringValue: String
    let intValue: Int? = nil
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Fails on any key that `Keys` does not name, with the key's JSON path.
    fileprivate func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_: Keys.Type) throws {
        let allowed = Keys.allCases.map(\.stringValue)
        for key in try container(keyedBy: AnyKey.self).allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath + [key],
                    debugDescription: "unknown field \"\(key.stringValue)\"; the fields here are: "
                        + allowed.joined(separator: ", ")))
        }
    }
}

/// A coding path as a JSON path: `versions[0].rules[3].match`.
func jsonPath(_ codingPath: [any CodingKey]) -> String {
    var path = ""
    for key in codingPath {
        if let index = key.intValue {
            path += "[\(index)]"
        } else {
            path += path.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return path.isEmpty ? "(top level)" : path
}
