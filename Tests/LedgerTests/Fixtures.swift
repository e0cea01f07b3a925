import Foundation
import KlingCore
import Ledger
import LedgerTestSupport

/// Runs `body` with the location of a new ledger on `backend` (a file in a fresh temporary
/// folder, or a fresh database), then removes it.
@discardableResult
func withLedgerPath<T>(_ backend: LedgerBackend = .sqlite, _ body: (String) throws -> T) throws -> T {
    try backend.withScratchLocation(body)
}

/// Runs `body` with a new, migrated ledger on `backend`.
@discardableResult
func withLedger<T>(_ backend: LedgerBackend = .sqlite, _ body: (Ledger) throws -> T) throws -> T {
    try withLedgerPath(backend) { path in try body(try Ledger(path: path)) }
}

/// The same, on threads of its own rather than Swift concurrency's pool (see `onOwnThreads`).
@discardableResult
func withLedger<T>(_ backend: LedgerBackend = .sqlite, _ body: (Ledger) throws -> T) async throws -> T {
    try await onOwnThreads { try withLedgerPath(backend) { path in try body(try Ledger(path: path)) } }
}

/// A pending submission holding `micros`.
func pendingSubmission(_ id: String, micros: Int64 = 350_000, team: String? = "video") -> NewSubmission {
    NewSubmission(
        id: id, idempotencyKey: "key-\(id)", job: BillableJob(provider: .pixazo), team: team,
        tags: ["campaign": "spring, \"launch\""],
        quote: QuotedPrice(
            amount: USD(micros: micros), units: nil, unitPrice: nil, unitPriceSource: nil, table: "pixazo", version: "2026-01",
            rule: "rule 1"),
        state: .pending)
}
