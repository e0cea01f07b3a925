import Foundation
import KlingCore
@testable import Ledger
import LedgerTestSupport
import Testing

@Suite("Budget arithmetic")
struct BudgetArithmeticTests {
    static func status(limit: Int64, charged: Int64, held: Int64) -> BudgetStatus {
        BudgetStatus(
            id: 1, spec: BudgetSpec(scope: .all, period: .total, limit: USD(micros: limit)), periodStart: nil, periodEnd: nil,
            charged: USD(micros: charged), held: USD(micros: held), peak: .zero)
    }

    @Test("charged + held + quote ≤ limit fits exactly at the limit, not a micro-dollar over")
    func fitsAtTheLimit() {
        let status = Self.status(limit: 420_000, charged: 140_000, held: 140_000)
        #expect(status.fits(USD(micros: 140_000)))
        #expect(!status.fits(USD(micros: 140_001)))
        #expect(status.remaining == USD(micros: 140_000))
    }

    @Test("Sums too large to represent do not fit, and nothing traps")
    func overflowFailsClosed() {
        let status = Self.status(limit: .max, charged: .max - 10, held: 5)
        #expect(!status.fits(USD(micros: 100)))
        #expect(status.used == USD(micros: .max - 5))
        let overrun = Self.status(limit: 1, charged: .max, held: .max)
        #expect(overrun.used == USD(micros: .max))
        #expect(!overrun.fits(.zero))
    }
}
