import Foundation
import KlingAPI
import KlingCore

/// A create body's fields, read with their documented types. Every surface reads its bodies
/// through this: a field the gateway does not know is refused rather than dropped, so what
/// reaches the provider is exactly what was priced.
struct CreateFields {
    let object: [String: Any]

    /// - Throws: `KlingRefusal` 1200 when the body is not a JSON object, 1201 naming the
    ///   fields the gateway does not know.
    init(_ body: Data, known: Set<String>) throws(KlingRefusal) {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw KlingRefusal(1200, "the request body is not a JSON object; send the create parameters as JSON")
        }
        let unknown = object.keys.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw KlingRefusal(
                1201,
                "\(unknown.joined(separator: ", ")): not supported by this gateway (it forwards only what it can price); leave \(unknown.count == 1 ? "it" : "them") out")
        }
        self.object = object
    }

    func has(_ field: String) -> Bool { object[field].map { !($0 is NSNull) } ?? false }

    func text(_ field: String) throws(KlingRefusal) -> String? {
        guard has(field) else { return nil }
        guard let text = object[field] as? String else { throw KlingRefusal(1201, "\(field): must be a string") }
        return text
    }

    /// A JSON number that is not a boolean.
    func number(_ field: String) throws(KlingRefusal) -> NSNumber? {
        guard has(field) else { return nil }
        guard let number = object[field] as? NSNumber, !Self.isBool(number) else { throw KlingRefusal(1201, "\(field): must be a number") }
        return number
    }

    /// A JSON `true` or `false`.
    func bool(_ field: String) throws(KlingRefusal) -> Bool? {
        guard has(field) else { return nil }
        guard let number = object[field] as? NSNumber, Self.isBool(number) else { throw KlingRefusal(1201, "\(field): must be true or false") }
        return number.boolValue
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

    /// A JSON number that is a positive whole number.
    func wholeNumber(_ field: String) throws(KlingRefusal) -> Int? {
        guard let number = try number(field) else { return nil }
        guard let whole = Int(exactly: number.decimalValue as NSDecimalNumber), whole > 0 else {
            throw KlingRefusal(1201, "\(field) = \(number): must be a whole number, such as 5")
        }
        return whole
    }

    /// JSON `true`/`false` arrive as NSNumber too; their type code (`c`) tells them from numbers.
    static func isBool(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}
