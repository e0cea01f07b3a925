import Foundation
import Gate
import Ledger
import LedgerTestSupport
import Pricing
import Testing

@Suite("Ledger work and the cooperative pool")
struct LedgerThreadsTests {
    /// A gateway's requests each wait for PostgreSQL in turn. Callers blocked on the server
    /// must not hold every thread of the cooperative pool, or the process stops answering
    /// anything else (its health check, its metrics, its other callers) until they return.
    @Test(
        "On PostgreSQL, callers blocked in the ledger leave the cooperative pool free",
        .enabled(if: LedgerBackend.all.contains(.postgres), "needs PostgreSQL (KLING_LEDGER_TEST_POSTGRES, or CI)"))
    func blockedCallersLeaveThePoolFree() async throws {
        try await LedgerBackend.postgres.withScratchLocation { url in
            let gate = Gate(ledgerPath: url, prices: try PriceBook.load(environment: [:]))
            try await gate.withLedger(.create) { _ in }  // connect and migrate before the clock starts
            // Detached: the scratch location runs its body on threads of its own, and this
            // scenario must start from the cooperative pool, as a request handler does.
            let waited = try await Task.detached { () async throws -> Duration in
                let clock = ContinuousClock()
                let start = clock.now
                let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
                return try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<blocked {
                        // Each stands for a caller waiting on a slow round trip.
                        group.addTask { try await gate.withLedger(.write) { _ in _ = usleep(3_000_000) } }
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    await Task.detached {}.value  // any work that needs a thread of the pool
                    let waited = clock.now - start
                    try await group.waitForAll()
                    return waited
                }
            }.value
            #expect(waited < .seconds(2), "work on the pool waited \(waited) behind callers blocked in the ledger")
        }
    }
}
