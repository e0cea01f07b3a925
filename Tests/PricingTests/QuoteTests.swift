import Foundation
import KlingCore
import Pricing
import Testing

@Suite("Quotes")
struct QuoteTests {
    static let datedTable = pixazoTable(
        versions: """
            [{ "id": "spring", "effective_from": "2026-01-01", "effective_until": "2026-06-01", "rules": [{ "usd_per_clip": "0.30" }] },
             { "id": "summer", "effective_from": "2026-06-01T00:00:00Z", "rules": [{ "usd_per_clip": "0.35" }] }]
            """)

    @Test(
        "A quote uses the version in force at submission time, start inclusive",
        arguments: [("2026-03-01T00:00:00Z", "spring", "0.30"), ("2026-05-31T23:59:59Z", "spring", "0.30"), ("2026-06-01T00:00:00Z", "summer", "0.35")])
    func effectiveDating(instant: String, version: String, usd: String) throws {
        try withTables(["pixazo.json": Self.datedTable]) { folder in
            let quote = try PriceBook.load(from: folder).quote(BillableJob(provider: .pixazo), at: .utc(instant))
            #expect(quote.versionID == version)
            #expect(quote.amount == USD(usd))
        }
    }

    @Test("Before any version there is no price, and the job is refused")
    func beforeFirstVersion() throws {
        try withTables(["pixazo.json": Self.datedTable]) { folder in
            #expect(throws: PricingError.noVersion(.pixazo, file: folder.appendingPathComponent("pixazo.json").path, at: .utc("2025-12-31T23:59:59Z"))) {
                try PriceBook.load(from: folder).quote(BillableJob(provider: .pixazo), at: .utc("2025-12-31T23:59:59Z"))
            }
        }
    }

    @Test("An ended version never comes back into force", arguments: ["2026-04-01T00:00:00Z", "2026-05-15T00:00:00Z"])
    func endedVersion(instant: String) throws {
        let table = pixazoTable(
            versions: """
                [{ "id": "open", "effective_from": "2026-01-01", "rules": [{ "usd_per_clip": "0.30" }] },
                 { "id": "promo", "effective_from": "2026-03-01", "effective_until": "2026-04-01", "rules": [{ "usd_per_clip": "0.20" }] }]
                """)
        try withTables(["pixazo.json": table]) { folder in
            let book = try PriceBook.load(from: folder)
            #expect(try book.quote(BillableJob(provider: .pixazo), at: .utc("2026-02-01T00:00:00Z")).versionID == "open")
            #expect(try book.quote(BillableJob(provider: .pixazo), at: .utc("2026-03-15T00:00:00Z")).versionID == "promo")
            #expect(throws: PricingError.self) { try book.quote(BillableJob(provider: .pixazo), at: .utc(instant)) }
        }
    }

    @Test("An unpriced job's refusal names provider, model, mode, duration and table")
    func noRuleMessage() throws {
        let book = try PriceBook.load(from: shippedTables)
        let job = BillableJob(provider: .acedata, model: "kling-video-o1", mode: .pro, durationSeconds: 10)
        #expect {
            try book.quote(job, at: .utc())
        } throws: { error in
            let message = (error as? PricingError)?.errorDescription ?? ""
            return ["acedata", "kling-video-o1", "pro", "10 s", "acedata.json", "2026-01-estimate", "never priced at $0"]
                .allSatisfy { message.contains($0) || message.contains("rather than priced at $0") }
                && message.contains("acedata.json")
        }
    }

    @Test("A provider without a table cannot be priced")
    func missingTable() throws {
        try withTables(["pixazo.json": Self.datedTable]) { folder in
            #expect(throws: PricingError.noTable(.kling, folder: folder.path)) {
                try PriceBook.load(from: folder).quote(BillableJob(provider: .kling), at: .utc())
            }
        }
    }

    @Test("KLING_UNIT_PRICE overrides the list price; --unit-price overrides both")
    func unitPriceOverrides() throws {
        #expect(try UnitPrice.override(option: nil, environment: [:]) == nil)
        #expect(
            try UnitPrice.override(option: nil, environment: ["KLING_UNIT_PRICE": "0.098"])
                == UnitPrice(amount: USD(micros: 98_000), origin: .environment))
        #expect(
            try UnitPrice.override(option: "0.12", environment: ["KLING_UNIT_PRICE": "0.098"])
                == UnitPrice(amount: USD(micros: 120_000), origin: .option))
    }

    @Test("A bad unit price is refused, saying where it came from", arguments: ["0", "-0.1", "0.14 USD", "abc"])
    func badUnitPrice(text: String) {
        #expect(throws: PricingError.invalidUnitPrice(text, origin: .environment)) {
            try UnitPrice.override(option: nil, environment: ["KLING_UNIT_PRICE": text])
        }
    }

    @Test("The quote names its table, version and rule")
    func basis() throws {
        let quote = try PriceBook.load(from: shippedTables).quote(
            BillableJob(provider: .kling, model: "kling-v2-5-turbo", mode: .pro, durationSeconds: 10), at: .utc())
        #expect(quote.tableFile.hasSuffix("kling.json"))
        #expect(quote.ruleDescription.contains("kling-v2-5-turbo pro 10 s: 5 units per clip"))
        #expect(quote.arithmetic == "5 units × $0.14 per unit (list price, table version 2026-01)")
    }
}
