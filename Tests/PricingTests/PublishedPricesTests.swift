import KlingCore
import Pricing
import Testing

/// Every figure in `shared/PROVIDERS.md`'s price sections, reproduced from the shipped tables.
@Suite("Published prices")
struct PublishedPricesTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let job: BillableJob
        let units: String?
        let usd: String
        var testDescription: String { "\(job.summary) = \(units.map { "\($0) units = " } ?? "")$\(usd)" }
    }

    static func official(
        _ model: String, _ mode: Mode, _ seconds: Int, kind: VideoKind = .text2video, sound: Bool = false,
        units: String, usd: String
    ) -> Case {
        Case(
            job: BillableJob(provider: .kling, kind: kind, model: model, mode: mode, durationSeconds: seconds, sound: sound),
            units: units, usd: usd)
    }

    static let officialFigures: [Case] = [
        // Per clip (5 s / 10 s) at the $0.14 list price.
        official("kling-v1", .std, 5, units: "1", usd: "0.14"),
        official("kling-v1", .std, 10, units: "2", usd: "0.28"),
        official("kling-v1", .pro, 5, units: "3.5", usd: "0.49"),
        official("kling-v1", .pro, 10, units: "7", usd: "0.98"),
        official("kling-v1-6", .std, 5, units: "2", usd: "0.28"),
        official("kling-v1-6", .std, 10, units: "4", usd: "0.56"),
        official("kling-v1-6", .pro, 5, units: "3.5", usd: "0.49"),
        official("kling-v1-6", .pro, 10, units: "7", usd: "0.98"),
        official("kling-v2-1", .std, 5, kind: .image2video, units: "2", usd: "0.28"),
        official("kling-v2-1", .std, 10, kind: .image2video, units: "4", usd: "0.56"),
        official("kling-v2-1", .pro, 5, kind: .image2video, units: "3.5", usd: "0.49"),
        official("kling-v2-1", .pro, 10, kind: .image2video, units: "7", usd: "0.98"),
        official("kling-v2-master", .std, 5, units: "10", usd: "1.40"),
        official("kling-v2-master", .pro, 10, units: "20", usd: "2.80"),
        official("kling-v2-1-master", .pro, 5, units: "10", usd: "1.40"),
        official("kling-v2-1-master", .std, 10, units: "20", usd: "2.80"),
        official("kling-v2-5-turbo", .std, 5, units: "1.5", usd: "0.21"),
        official("kling-v2-5-turbo", .std, 10, units: "3", usd: "0.42"),
        official("kling-v2-5-turbo", .pro, 5, units: "2.5", usd: "0.35"),
        official("kling-v2-5-turbo", .pro, 10, units: "5", usd: "0.70"),
        official("kling-v2-6", .pro, 5, sound: true, units: "5", usd: "0.70"),
        official("kling-v2-6", .pro, 10, sound: true, units: "10", usd: "1.40"),
        // Video extension.
        official("kling-v1", .std, 5, kind: .extend, units: "1", usd: "0.14"),
        official("kling-v1", .pro, 5, kind: .extend, units: "3.5", usd: "0.49"),
        official("kling-v1-5", .std, 5, kind: .extend, units: "2", usd: "0.28"),
        official("kling-v1-5", .pro, 5, kind: .extend, units: "3.5", usd: "0.49"),
        official("kling-v1-6", .std, 5, kind: .extend, units: "2", usd: "0.28"),
        official("kling-v1-6", .pro, 5, kind: .extend, units: "3.5", usd: "0.49"),
        // Per second: 2.6 without audio 0.3 (720p) / 0.5 (1080p).
        official("kling-v2-6", .std, 5, units: "1.5", usd: "0.21"),
        official("kling-v2-6", .std, 10, units: "3", usd: "0.42"),
        official("kling-v2-6", .pro, 5, units: "2.5", usd: "0.35"),
        official("kling-v2-6", .pro, 10, units: "5", usd: "0.70"),
        // Per second: 3.0 without audio 0.6 / 0.8, with audio 0.9 / 1.2.
        official("kling-v3", .std, 5, units: "3", usd: "0.42"),
        official("kling-v3", .pro, 10, units: "8", usd: "1.12"),
        official("kling-v3", .std, 3, units: "1.8", usd: "0.252"),
        official("kling-v3", .std, 10, sound: true, units: "9", usd: "1.26"),
        official("kling-v3", .pro, 15, sound: true, units: "18", usd: "2.52"),
        official("kling-v3", .pro, 5, kind: .image2video, sound: true, units: "6", usd: "0.84"),
    ]

    @Test("Official Kling units at the $0.14 list price", arguments: officialFigures)
    func officialPrices(_ figure: Case) throws {
        let quote = try PriceBook.load(from: shippedTables).quote(figure.job, at: .utc())
        #expect(quote.units?.decimalString == figure.units)
        #expect(quote.amount == USD(figure.usd))
        #expect(quote.unitPrice == UnitPrice(amount: USD(micros: 140_000), origin: .table(version: "2026-01")))
        #expect(quote.versionID == "2026-01")
        #expect(!quote.estimated)
    }

    @Test(
        "A $0.098 unit price changes the dollars, not the units",
        arguments: [
            official("kling-v2-5-turbo", .pro, 10, units: "5", usd: "0.49"),
            official("kling-v1", .std, 5, units: "1", usd: "0.098"),
            official("kling-v3", .pro, 10, units: "8", usd: "0.784"),
            official("kling-v2-6", .pro, 5, sound: true, units: "5", usd: "0.49"),
        ])
    func trialPackPrice(_ figure: Case) throws {
        let override = UnitPrice(amount: USD(micros: 98_000), origin: .option)
        let quote = try PriceBook.load(from: shippedTables).quote(figure.job, at: .utc(), unitPriceOverride: override)
        #expect(quote.units?.decimalString == figure.units)
        #expect(quote.amount == USD(figure.usd))
        #expect(quote.unitPrice == override)
    }

    static let resellerFigures: [Case] = [
        Case(job: BillableJob(provider: .pixazo, kind: .text2video, durationSeconds: 5), units: nil, usd: "0.35"),
        Case(job: BillableJob(provider: .pixazo, kind: .image2video, durationSeconds: 5), units: nil, usd: "0.35"),
        Case(job: BillableJob(provider: .acedata, model: "kling-v2-5-turbo", mode: .pro, durationSeconds: 10), units: nil, usd: "0.70"),
        Case(job: BillableJob(provider: .acedata, model: "kling-v1", mode: .std, durationSeconds: 5), units: nil, usd: "0.14"),
        Case(job: BillableJob(provider: .acedata, kind: .extend, model: "kling-v1-6", mode: .pro), units: nil, usd: "0.49"),
        Case(job: BillableJob(provider: .kkiai, model: "kling-v2-master", durationSeconds: 10), units: nil, usd: "2.80"),
        Case(job: BillableJob(provider: .kkiai, model: "kling-v3", mode: .pro, durationSeconds: 10), units: nil, usd: "1.12"),
        Case(job: BillableJob(provider: .kkiai, model: "kling-v3", mode: .std, durationSeconds: 5, sound: true), units: nil, usd: "0.63"),
    ]

    @Test("Reseller prices in dollars", arguments: resellerFigures)
    func resellerPrices(_ figure: Case) throws {
        let quote = try PriceBook.load(from: shippedTables).quote(figure.job, at: .utc())
        #expect(quote.amount == USD(figure.usd))
        #expect(quote.units == nil)
        #expect(quote.unitPrice == nil)
        #expect(quote.estimated == (figure.job.provider != .pixazo))
    }

    @Test("A unit price override leaves reseller dollar prices alone")
    func overrideIsOfficialOnly() throws {
        let book = try PriceBook.load(from: shippedTables)
        let override = UnitPrice(amount: USD(micros: 98_000), origin: .option)
        let quote = try book.quote(BillableJob(provider: .acedata, model: "kling-v1"), at: .utc(), unitPriceOverride: override)
        #expect(quote.amount == USD("0.14"))
    }

    @Test(
        "Jobs without a published price are refused, never priced at $0",
        arguments: [
            BillableJob(provider: .pixazo, durationSeconds: 10),
            BillableJob(provider: .acedata, model: "kling-video-o1"),
            BillableJob(provider: .kling, model: "kling-v2-6", mode: .std, sound: true),
            BillableJob(provider: .kling, kind: .image2video, model: "kling-v1-5"),
        ])
    func unpublished(job: BillableJob) throws {
        let book = try PriceBook.load(from: shippedTables)
        #expect(throws: PricingError.self) { try book.quote(job, at: .utc()) }
    }
}
