import Foundation
import KlingCore
import Testing

@Suite("JSON written by the gateway")
struct JSONValueTests {
    @Test("Keys in order, strings escaped, numbers exactly as given")
    func bytes() {
        let document: JSONValue = [
            "b": [1, "two", true, nil, .decimal("0.14")], "a": "quote \" backslash \\ slash / newline \n tab \t bell \u{07} é ✓",
            "c": [:], "d": [],
        ]
        #expect(
            document.text
                == #"{"a":"quote \" backslash \\ slash / newline \n tab \t bell \u0007 é ✓","b":[1,"two",true,null,0.14],"c":{},"d":[]}"#)
    }

    @Test("What is written, a JSON parser reads back as the same values")
    func readsBack() throws {
        let text = (0..<64).map { String(UnicodeScalar(UInt8($0))) }.joined() + "\"\\/ünïcödé 𝄞"
        let document: JSONValue = ["text": .string(text), "count": .integer(Int64.max), "negative": .integer(-5), "flag": false]
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(document.bytes)) as? [String: Any])
        #expect(parsed["text"] as? String == text)
        #expect((parsed["count"] as? NSNumber)?.int64Value == Int64.max)
        #expect((parsed["negative"] as? NSNumber)?.intValue == -5)
        #expect((parsed["flag"] as? NSNumber)?.boolValue == false)
        #expect(parsed.count == 4)
    }
}

@Suite("JSON read by the price tables and the ledger")
struct JSONReadingTests {
    @Test("Values read as written: numbers keep their text, escapes and surrogate pairs decode")
    func reads() throws {
        let value = try JSONValue(parsing: #" { "price": "0.35", "units": 0.10, "big": -12e+3, "list": [true, false, null, []], "text": "a\"\\\/\b\f\n\r\t\u00e9\ud834\udd1e" } "#)
        #expect(value.objectValue?["price"] == .string("0.35"))
        #expect(value.objectValue?["units"] == .number("0.10"))
        #expect(value.objectValue?["big"] == .number("-12e+3"))
        #expect(value.objectValue?["list"] == [true, false, nil, []])
        #expect(value.objectValue?["text"]?.stringValue == "a\"\\/\u{08}\u{0C}\n\r\té𝄞")
    }

    @Test(
        "Text that is not exactly one JSON value is refused, at the byte where it goes wrong",
        arguments: [
            ("", 0), ("{", 1), (#"{"a":1,}"#, 7), ("[1,]", 3), ("01", 1), ("1.", 2), ("-", 1), (#""abc"#, 4), ("tru", 3),
            (#"{"a":1}x"#, 7), (#"{"a":1,"a":2}"#, 7), (#""\ud834""#, 7), ("\"tab\there\"", 4), (#""\q""#, 2), ("[1 2]", 3),
            (String(repeating: "[", count: 100), 64),
        ])
    func refuses(text: String, offset: Int) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: text) }
        do {
            _ = try JSONValue(parsing: text)
        } catch {
            #expect(error.offset == offset, "\(text): \(error)")
        }
    }

    @Test("Each bundled price table reads as Foundation's parser reads it")
    func bundledTables() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("pricing")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(names.count == 4)
        for name in names {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            let ours = try JSONSerialization.jsonObject(with: Data(try JSONValue(parsing: data).bytes)) as? NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: data) as? NSDictionary
            #expect(ours != nil && ours == theirs, "\(name)")
        }
    }
}
