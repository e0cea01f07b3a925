import Foundation
import KlingCore
import Pricing
import Testing

@Suite("Settlement: the actual cost wins over the quote")
struct SettlementTests {
    let book: PriceBook
    init() throws { book = try PriceBook.load(from: shippedTables) }

    static let turbo = BillableJob(provider: .kling, model: "kling-v2-5-turbo", mode: .pro, durationSeconds: 10)
    static let pixazo = BillableJob(provider: .pixazo, durationSeconds: 5)

    @Test(
        "Official: final_unit_deduction × the unit price recorded with the quote",
        arguments: [("5", "0.14", "0.70"), ("2.5", "0.14", "0.35"), ("5", "0.098", "0.49"), ("0", "0.14", "0.00")])
    func official(deduction: String, unitPrice: String, usd: String) throws {
        let settlement = try book.settle(
            Self.turbo, versionID: "2026-01", unitPrice: USD(unitPrice),
            outcome: .succeeded(finalUnitDeduction: deduction, deliveredSeconds: ["10"]))
        #expect(settlement.amount == USD(usd))
        #expect(settlement.units == Units(deduction))
    }

    @Test("A failed task costs nothing")
    func failed() throws {
        let settlement = try book.settle(Self.turbo, versionID: "2026-01", unitPrice: USD("0.14"), outcome: .failed)
        #expect(settlement.amount == .zero)
    }

    @Test("Official success without an exact deduction keeps the hold (an error, never $0)")
    func badDeduction() {
        #expect(throws: PricingError.missingFinalUnitDeduction(.kling)) {
            try book.settle(Self.turbo, versionID: "2026-01", unitPrice: USD("0.14"), outcome: .succeeded(finalUnitDeduction: nil, deliveredSeconds: []))
        }
        #expect(throws: PricingError.invalidFinalUnitDeduction("2.5e0")) {
            try book.settle(Self.turbo, versionID: "2026-01", unitPrice: USD("0.14"), outcome: .succeeded(finalUnitDeduction: "2.5e0", deliveredSeconds: []))
        }
    }

    @Test(
        "Resellers: the table applied to what was delivered",
        arguments: [(["5.1"], "0.35"), (["4.96", "5"], "0.70"), ([], "0.35")] as [([String], String)])
    func reseller(delivered: [String], usd: String) throws {
        let settlement = try book.settle(
            Self.pixazo, versionID: "2026-01", unitPrice: nil,
            outcome: .succeeded(finalUnitDeduction: nil, deliveredSeconds: delivered))
        #expect(settlement.amount == USD(usd))
    }

    @Test("A delivery the table does not price is an error, not $0")
    func unpricedDelivery() {
        #expect(throws: PricingError.self) {
            try book.settle(Self.pixazo, versionID: "2026-01", unitPrice: nil, outcome: .succeeded(finalUnitDeduction: nil, deliveredSeconds: ["10.0"]))
        }
    }

    @Test("A quote's version that the table no longer has cannot be settled silently")
    func vanishedVersion() {
        #expect(throws: PricingError.unknownVersion(.kling, version: "2025-old", file: book.tables[.kling]?.file ?? "")) {
            try book.settle(Self.turbo, versionID: "2025-old", unitPrice: USD("0.14"), outcome: .succeeded(finalUnitDeduction: "5", deliveredSeconds: []))
        }
    }
}
