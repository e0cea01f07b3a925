import KlingCore

// A price table is read in two steps: strict reading of the JSON as written (unknown fields
// are errors, since a misspelt "model" would silently make a rule match every job), then
// validation into a `PriceTable`, where every problem is reported with the file and JSON path.
//
// The JSON is read as a `JSONValue` rather than through `Decodable`: every command that prices
// a job reads all four tables at start, and `JSONDecoder`'s first use cost more than the rest.

/// The fields of one JSON object, read with the object's path for messages.
struct TableObject {
    let members: [String: JSONValue]
    /// The object's JSON path: `versions[0].rules[3]`, or empty at the top.
    let path: String

    /// Refuses anything but a JSON object, and any field `allowed` does not name.
    init(_ value: JSONValue, path: String, allowed: [String]) throws(TableReadError) {
        guard let members = value.objectValue else { throw TableReadError(path: path.isEmpty ? "(top level)" : path, problem: "expected an object here") }
        for key in members.keys.sorted() where !allowed.contains(key) {
            throw TableReadError(
                path: Self.join(path, key), problem: "unknown field \"\(key)\"; the fields here are: " + allowed.joined(separator: ", "))
        }
        self.members = members
        self.path = path
    }

    func path(of key: String) -> String { Self.join(path, key) }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func string(_ key: String, hint: String = "") throws(TableReadError) -> String {
        guard let text = try optionalString(key, hint: hint) else { throw missing(key) }
        return text
    }

    func optionalString(_ key: String, hint: String = "") throws(TableReadError) -> String? {
        guard let value = present(key) else { return nil }
        guard let text = value.stringValue else { throw TableReadError(path: path(of: key), problem: "expected a string here\(hint)") }
        return text
    }

    func optionalBool(_ key: String) throws(TableReadError) -> Bool? {
        guard let value = present(key) else { return nil }
        guard let flag = value.boolValue else { throw TableReadError(path: path(of: key), problem: "expected true or false here") }
        return flag
    }

    func array(_ key: String) throws(TableReadError) -> [JSONValue] {
        guard let elements = try optionalArray(key) else { throw missing(key) }
        return elements
    }

    func optionalArray(_ key: String) throws(TableReadError) -> [JSONValue]? {
        guard let value = present(key) else { return nil }
        guard let elements = value.arrayValue else { throw TableReadError(path: path(of: key), problem: "expected an array here") }
        return elements
    }

    func optionalStrings(_ key: String) throws(TableReadError) -> [String]? {
        try optionalArray(key).map { elements throws(TableReadError) in
            var texts: [String] = []
            for (index, element) in elements.enumerated() {
                guard let text = element.stringValue else { throw TableReadError(path: "\(path(of: key))[\(index)]", problem: "expected a string here") }
                texts.append(text)
            }
            return texts
        }
    }

    func optionalInts(_ key: String) throws(TableReadError) -> [Int]? {
        try optionalArray(key).map { elements throws(TableReadError) in
            var numbers: [Int] = []
            for (index, element) in elements.enumerated() {
                guard let number = element.intValue else {
                    throw TableReadError(path: "\(path(of: key))[\(index)]", problem: "expected a whole number here")
                }
                numbers.append(number)
            }
            return numbers
        }
    }

    /// A field's value; a JSON `null` counts as absent, as it did for the optional fields.
    private func present(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    private func missing(_ key: String) -> TableReadError {
        TableReadError(path: path(of: key), problem: "the required field \"\(key)\" is missing")
    }
}

/// Where reading a table stopped, and why.
struct TableReadError: Error {
    let path: String
    let problem: String
}

/// The JSON of one table, as written.
struct TableFile {
    let provider: String
    let currency: String
    let source: String
    let estimated: Bool?
    let settlement: String
    let versions: [VersionFile]

    init(_ value: JSONValue) throws(TableReadError) {
        let object = try TableObject(value, path: "", allowed: ["provider", "currency", "source", "estimated", "settlement", "versions"])
        provider = try object.string("provider")
        currency = try object.string("currency")
        source = try object.string("source")
        estimated = try object.optionalBool("estimated")
        settlement = try object.string("settlement")
        var versions: [VersionFile] = []
        for (index, version) in try object.array("versions").enumerated() {
            versions.append(try VersionFile(version, path: "versions[\(index)]"))
        }
        self.versions = versions
    }
}

/// Prices must be JSON strings, so that they are read exactly.
private let priceHint = "; write prices as decimal strings such as \"0.35\" so they are read exactly"

struct VersionFile {
    let id: String
    let effectiveFrom: String
    let effectiveUntil: String?
    let unitPriceUSD: String?
    let unitPriceNote: String?
    let rules: [RuleFile]

    init(_ value: JSONValue, path: String) throws(TableReadError) {
        let object = try TableObject(
            value, path: path, allowed: ["id", "effective_from", "effective_until", "unit_price_usd", "unit_price_note", "rules"])
        id = try object.string("id")
        effectiveFrom = try object.string("effective_from")
        effectiveUntil = try object.optionalString("effective_until")
        unitPriceUSD = try object.optionalString("unit_price_usd", hint: priceHint)
        unitPriceNote = try object.optionalString("unit_price_note")
        var rules: [RuleFile] = []
        for (index, rule) in try object.array("rules").enumerated() {
            rules.append(try RuleFile(rule, path: "\(path).rules[\(index)]"))
        }
        self.rules = rules
    }
}

struct RuleFile {
    let match: MatchFile?
    /// The price fields present, by JSON key; exactly one is allowed.
    let prices: [(key: String, value: String)]
    let note: String?

    static let priceKeys = ["usd_per_clip", "usd_per_second", "units_per_clip", "units_per_second"]

    init(_ value: JSONValue, path: String) throws(TableReadError) {
        let object = try TableObject(value, path: path, allowed: ["match", "note"] + Self.priceKeys)
        match = try object.members["match"].flatMap { $0 == .null ? nil : $0 }.map { match throws(TableReadError) in
            try MatchFile(match, path: object.path(of: "match"))
        }
        note = try object.optionalString("note")
        var prices: [(key: String, value: String)] = []
        for key in Self.priceKeys {
            if let price = try object.optionalString(key, hint: priceHint) { prices.append((key, price)) }
        }
        self.prices = prices
    }
}

struct MatchFile {
    let kinds: [String]?
    let models: [String]?
    let modes: [String]?
    let durations: [Int]?
    let sound: Bool?

    init(_ value: JSONValue, path: String) throws(TableReadError) {
        let object = try TableObject(value, path: path, allowed: ["kinds", "models", "modes", "durations", "sound"])
        kinds = try object.optionalStrings("kinds")
        models = try object.optionalStrings("models")
        modes = try object.optionalStrings("modes")
        durations = try object.optionalInts("durations")
        sound = try object.optionalBool("sound")
    }
}
