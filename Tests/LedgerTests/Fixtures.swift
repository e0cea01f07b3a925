import Foundation
import KlingCore
import Ledger

/// Runs `body` with the path of a ledger file in a fresh temporary folder, then removes it.
@discardableResult
func withLedgerPath<T>(_ body: (String) throws -> T) throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kling-ledger-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try body(folder.appendingPathComponent("ledger.sqlite").path)
}

/// Runs `body` with a new, migrated ledger.
@discardableResult
func withLedger<T>(_ body: (Ledger) throws -> T) throws -> T {
    try withLedgerPath { path in try body(try Ledger(path: path)) }
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
