import Foundation
import Gate
import Ledger
import LedgerTestSupport
import Pricing
import Testing

@Suite("Ledger work and the cooperative pool")
struct LedgerThreadsTests {
    /// A gateway's requests each wait for PostgreSQL in turn. Callers blocked on the server
    /// must not hold the threads of the cooperative pool, or the process stops answering
    /// anything else (its health check, its metrics, its other callers) until they return: the
    /// gate runs PostgreSQL work on the ledger's own threads (an `NIOThreadPool`, `TP-#…`).
    ///
    /// Checked by where the work runs rather than by timing other work on the pool: in a
    /// suite of tests running at once, the pool's latency says more about the neighbours.
    @Test(
        "On PostgreSQL, work in the ledger runs on the ledger's own threads, not the cooperative pool",
        .needsPostgres)
    func postgresWorkLeavesThePool() async throws {
        try await LedgerBackend.postgres.withScratchLocation { url in
            let gate = Gate(ledgerPath: url, prices: try PriceBook.load(environment: [:]))
            try await gate.withLedger(.create) { _ in }  // create and migrate it
            // Detached: the scratch location runs its body on threads of its own, and this
            // must start from the cooperative pool, as a request handler does.
            let threads = try await Task.detached { () async throws -> [String] in
                try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<4 {
                        group.addTask { try await gate.withLedger(.write) { ledger in _ = try ledger.timeZone(); return Self.threadName() } }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }.value
            #expect(threads.count == 4)
            #expect(threads.allSatisfy { $0.hasPrefix("TP-#") }, "ledger work ran on \(threads)")
        }
    }

    /// The calling thread's name, as Linux keeps it.
    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
    }
}
