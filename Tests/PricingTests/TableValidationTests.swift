import Foundation
import KlingCore
import Pricing
import Testing

@Suite("Malformed price tables fail loudly")
struct TableValidationTests {
    struct Defect: CustomTestStringConvertible, Sendable {
        let name: String
        let table: String
        /// The JSON path the error must name.
        let path: String
        /// Words the problem must contain.
        let problem: String
        var testDescription: String { name }
    }

    static let rule = #"{ "match": { "durations": [5] }, "usd_per_clip": "0.35" }"#

    static let defects: [Defect] = [
        Defect(
            name: "not JSON", table: "{ \"provider\": ", path: "(top level)", problem: "not valid JSON"),
        Defect(
            name: "misspelt match field",
            table: klingTable(rules: #"[{ "match": { "model": ["kling-v1"] }, "units_per_clip": "1" }]"#),
            path: "versions[0].rules[0].match.model", problem: "unknown field \"model\""),
        Defect(
            name: "negative price",
            table: pixazoTable(versions: #"[{ "id": "a", "effective_from": "2026-01-01", "rules": [{ "usd_per_clip": "-0.35" }] }]"#),
            path: "versions[0].rules[0].usd_per_clip", problem: "negative"),
        Defect(
            name: "a zero price",
            table: pixazoTable(versions: #"[{ "id": "a", "effective_from": "2026-01-01", "rules": [{ "usd_per_clip": "0.00" }] }]"#),
            path: "versions[0].rules[0].usd_per_clip", problem: "zero would let jobs run for free"),
        Defect(
            name: "price as a JSON number",
            table: pixazoTable(versions: #"[{ "id": "a", "effective_from": "2026-01-01", "rules": [{ "usd_per_clip": 0.35 }] }]"#),
            path: "versions[0].rules[0].usd_per_clip", problem: "decimal strings"),
        Defect(
            name: "unknown model name",
            table: klingTable(rules: #"[{ "match": { "models": ["kling-v9"] }, "units_per_clip": "1" }]"#),
            path: "versions[0].rules[0].match.models", problem: "unknown model \"kling-v9\""),
        Defect(
            name: "unknown mode",
            table: klingTable(rules: #"[{ "match": { "modes": ["ultra"] }, "units_per_clip": "1" }]"#),
            path: "versions[0].rules[0].match.modes", problem: "unknown mode \"ultra\"; use one of: std, pro"),
        Defect(
            name: "unknown kind",
            table: klingTable(rules: #"[{ "match": { "kinds": ["text2image"] }, "units_per_clip": "1" }]"#),
            path: "versions[0].rules[0].match.kinds", problem: "unknown kind \"text2image\""),
        Defect(
            name: "a rule shadowed by an earlier one",
            table: klingTable(rules: #"""
                [{ "match": { "models": ["kling-v1"] }, "units_per_clip": "1" },
                 { "match": { "models": ["kling-v1"], "modes": ["pro"], "durations": [5] }, "units_per_clip": "3.5" }]
                """#),
            path: "versions[0].rules[1]", problem: "can never match: rules[0]"),
        Defect(
            name: "a rule no model can reach",
            table: klingTable(rules: #"[{ "match": { "models": ["kling-v1"], "sound": true }, "units_per_clip": "1" }]"#),
            path: "versions[0].rules[0].match", problem: "can never match"),
        Defect(
            name: "an empty list",
            table: klingTable(rules: #"[{ "match": { "modes": [] }, "units_per_clip": "1" }]"#),
            path: "versions[0].rules[0].match.modes", problem: "empty list can never match"),
        Defect(
            name: "overlapping versions",
            table: pixazoTable(versions: """
                [{ "id": "a", "effective_from": "2026-01-01", "effective_until": "2026-07-01", "rules": [\(rule)] },
                 { "id": "b", "effective_from": "2026-06-01", "rules": [\(rule)] }]
                """),
            path: "versions[1].effective_from", problem: "overlaps version \"a\""),
        Defect(
            name: "two versions from the same instant",
            table: pixazoTable(versions: """
                [{ "id": "a", "effective_from": "2026-01-01", "rules": [\(rule)] },
                 { "id": "b", "effective_from": "2026-01-01T00:00:00Z", "rules": [\(rule)] }]
                """),
            path: "versions[1].effective_from", problem: "overlaps"),
        Defect(
            name: "a reused version id",
            table: pixazoTable(versions: """
                [{ "id": "a", "effective_from": "2026-01-01", "rules": [\(rule)] },
                 { "id": "a", "effective_from": "2026-02-01", "rules": [\(rule)] }]
                """),
            path: "versions[1].id", problem: "already used"),
        Defect(
            name: "two prices in one rule",
            table: pixazoTable(versions: #"[{ "id": "a", "effective_from": "2026-01-01", "rules": [{ "usd_per_clip": "1", "usd_per_second": "1" }] }]"#),
            path: "versions[0].rules[0]", problem: "exactly one price field"),
        Defect(
            name: "units without a unit price",
            table: klingTable(rules: #"[{ "units_per_clip": "1" }]"#, unitPrice: nil),
            path: "versions[0].rules[0]", problem: "no unit_price_usd"),
        Defect(
            name: "a model for a provider without models",
            table: pixazoTable(versions: #"[{ "id": "a", "effective_from": "2026-01-01", "rules": [{ "match": { "models": ["kling-v1"] }, "usd_per_clip": "1" }] }]"#),
            path: "versions[0].rules[0].match.models", problem: "no model parameter"),
        Defect(
            name: "an unknown provider",
            table: #"{ "provider": "kling2", "currency": "USD", "source": "x", "settlement": "table", "versions": [] }"#,
            path: "provider", problem: "unknown provider"),
        Defect(
            name: "a bad date",
            table: pixazoTable(versions: #"[{ "id": "a", "effective_from": "next week", "rules": [{ "usd_per_clip": "1" }] }]"#),
            path: "versions[0].effective_from", problem: "ISO 8601"),
        Defect(
            name: "a number where a name belongs",
            table: #"{ "provider": 3, "currency": "USD", "source": "x", "settlement": "table", "versions": [] }"#,
            path: "provider", problem: "expected a string here"),
        Defect(
            name: "a missing source",
            table: #"{ "provider": "pixazo", "currency": "USD", "settlement": "table", "versions": [] }"#,
            path: "source", problem: "required field \"source\""),
    ]

    @Test("Each defect names the file, the JSON path and the problem", arguments: defects)
    func reportsDefect(_ defect: Defect) throws {
        try withTables(["broken.json": defect.table]) { folder in
            do {
                _ = try PriceBook.load(from: folder)
                Issue.record("the table loaded")
            } catch let error as PricingError {
                guard case .invalidTable(let file, let path, let problem) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(file.hasSuffix("/broken.json"))
                #expect(path == defect.path)
                #expect(problem.contains(defect.problem), "\(problem)")
                #expect(error.errorDescription?.contains("broken.json at \(defect.path)") == true)
            }
        }
    }

    @Test("Two tables for one provider are refused")
    func duplicateProvider() throws {
        let table = pixazoTable(versions: #"[{ "id": "a", "effective_from": "2026-01-01", "rules": [{ "usd_per_clip": "1" }] }]"#)
        try withTables(["a.json": table, "b.json": table]) { folder in
            #expect(throws: PricingError.self) { try PriceBook.load(from: folder) }
        }
    }

    @Test("A missing folder is a clear error")
    func missingFolder() {
        #expect {
            try PriceBook.load(from: URL(fileURLWithPath: "/nonexistent/pricing"))
        } throws: { error in
            (error as? PricingError)?.errorDescription?.contains("/nonexistent/pricing does not exist") == true
        }
    }

    @Test("The shipped tables are valid")
    func shippedTablesLoad() throws {
        let book = try PriceBook.load(from: shippedTables)
        #expect(Set(book.tables.keys) == Set(Provider.allCases))
    }
}
