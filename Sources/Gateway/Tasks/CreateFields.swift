import KlingAPI
import KlingCore

/// A create body's fields, read with their documented types. Every surface reads its bodies
/// through this: a field the gateway does not know is refused rather than dropped, so what
/// reaches the provider is exactly what was priced.
struct CreateFields {
    let object: [String: JSONValue]

    /// - Throws: `KlingRefusal` 1200 when the body is not a JSON object (a key given twice
    ///   included: which one would be priced?), 1201 naming the fields the gateway does not know.
    init(_ body: some Collection<UInt8>, known: Set<String>) throws(KlingRefusal) {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: body)
        } catch {
            throw KlingRefusal(1200, "the request body is not valid JSON (\(error)); send the create parameters as one JSON object")
        }
        guard let object = document.objectValue else {
            throw KlingRefusal(1200, "the request body is \(document.kindName), not a JSON object; send the create parameters as one JSON object")
        }
        let unknown = object.keys.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw KlingRefusal(
                1201,
                "\(unknown.joined(separator: ", ")): not supported by this gateway (it forwards only what it can price); leave \(unknown.count == 1 ? "it" : "them") out")
        }
        self.object = object
    }

    /// The field's value, `nil` when it is absent or `null`.
    func value(_ field: String) -> JSONValue? {
        guard let value = object[field], value != .null else { return nil }
        return value
    }

    func has(_ field: String) -> Bool { value(field) != nil }

    func text(_ field: String) throws(KlingRefusal) -> String? {
        guard let value = value(field) else { return nil }
        guard let text = value.stringValue else { throw KlingRefusal(1201, "\(field): must be a string, not \(value.kindName)") }
        return text
    }

    /// A JSON number, for the parameters that are fractions (`cfg_scale`, camera axes); never money.
    func number(_ field: String) throws(KlingRefusal) -> Double? {
        guard let value = value(field) else { return nil }
        return try Self.number(value, named: field)
    }

    static func number(_ value: JSONValue, named field: String) throws(KlingRefusal) -> Double {
        guard case .number(let text) = value, let number = Double(text) else { throw KlingRefusal(1201, "\(field): must be a number, not \(value.kindName)") }
        return number
    }

    /// A JSON `true` or `false`.
    func bool(_ field: String) throws(KlingRefusal) -> Bool? {
        guard let value = value(field) else { return nil }
        guard let flag = value.boolValue else { throw KlingRefusal(1201, "\(field): must be true or false, not \(value.kindName)") }
        return flag
    }

    /// `mode`: std or pro.
    func mode() throws(KlingRefusal) -> Mode? {
        guard let text = try text("mode") else { return nil }
        guard let mode = Mode(rawValue: text) else { throw KlingRefusal(1201, "mode = \"\(text)\": must be std or pro") }
        return mode
    }

    /// `aspect_ratio`: 16:9, 9:16 or 1:1.
    func aspectRatio() throws(KlingRefusal) -> AspectRatio? {
        guard let text = try text("aspect_ratio") else { return nil }
        guard let ratio = AspectRatio(rawValue: text) else { throw KlingRefusal(1201, "aspect_ratio = \"\(text)\": must be 16:9, 9:16 or 1:1") }
        return ratio
    }

    /// A JSON number that is a positive whole number (`5`; `5.0` too, as JSON does not tell them apart).
    func wholeNumber(_ field: String) throws(KlingRefusal) -> Int? {
        guard let value = value(field) else { return nil }
        let number = try Self.number(value, named: field)
        guard number > 0, number == number.rounded(), number <= Double(Int32.max) else {
            throw KlingRefusal(1201, "\(field) = \(value.text): must be a whole number, such as 5")
        }
        return Int(number)
    }
}
