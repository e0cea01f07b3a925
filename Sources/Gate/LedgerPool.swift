import Foundation
import Ledger
import Synchronization

/// The gate's connections to its ledger: each opened, checked and migrated once, then lent to
/// one unit of work at a time (a submission, a sync) and taken back. A gate shared by many
/// concurrent tasks opens as many as run at once, and a long-lived one never reopens the file.
final class LedgerPool: Sendable {
    /// A connection with one borrower at a time: the pool hands it out and takes it back under
    /// its lock, and no two borrowers ever hold it together.
    private struct Idle: @unchecked Sendable {
        let ledger: Ledger
    }

    private let path: String
    private let idle = Mutex<[Idle]>([])
    /// How many idle connections are kept; more are closed when given back.
    private let keep = 16

    init(path: String) {
        self.path = path
    }

    /// Runs `body` with a connection of its own: an idle one, or a new one opened with `access`
    /// (`.read` is never pooled: it is opened read-only each time).
    func with<Result>(_ access: Ledger.Access, _ body: (Ledger) async throws -> Result) async throws -> Result {
        if access == .read { return try await body(try Ledger(path: path, access: .read)) }
        let ledger = try idle.withLock { $0.popLast() }?.ledger ?? Ledger(path: path, access: access)
        do {
            let result = try await body(ledger)
            giveBack(ledger)
            return result
        } catch {
            giveBack(ledger)
            throw error
        }
    }

    /// The same, for work that does not wait.
    func with<Result>(_ access: Ledger.Access, _ body: (Ledger) throws -> Result) throws -> Result {
        if access == .read { return try body(try Ledger(path: path, access: .read)) }
        let ledger = try idle.withLock { $0.popLast() }?.ledger ?? Ledger(path: path, access: access)
        defer { giveBack(ledger) }
        return try body(ledger)
    }

    private func giveBack(_ ledger: Ledger) {
        let lent = Idle(ledger: ledger)
        idle.withLock { idle in
            if idle.count < keep { idle.append(lent) }
        }
    }
}
