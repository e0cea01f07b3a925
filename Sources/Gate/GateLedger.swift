import Foundation
import Ledger
import Synchronization

/// The gate's ledger: opened, checked and migrated once, on first use, then shared by every
/// task of the gate (the ledger serializes their use of its connection). A read-only use opens
/// the file read-only each time, so that it works on a ledger this process may only read.
final class GateLedger: Sendable {
    private let path: String
    private let shared = Mutex<Ledger?>(nil)

    /// Whether the ledger is a PostgreSQL server, where every call is a round trip.
    let isRemote: Bool

    init(path: String) {
        self.path = path
        self.isRemote = PostgresLocation.isURL(path)
    }

    /// The shared ledger; opened with `access` (creating it with `.create`) if not yet open.
    private func ledger(_ access: Ledger.Access) throws -> Ledger {
        if access == .read { return try Ledger(path: path, access: .read) }
        return try shared.withLock { shared in
            if let ledger = shared { return ledger }
            let ledger = try Ledger(path: path, access: access)
            shared = ledger
            return ledger
        }
    }

    /// Runs `body` with the ledger.
    func with<Result>(_ access: Ledger.Access, _ body: (Ledger) async throws -> Result) async throws -> Result {
        try await body(try ledger(access))
    }

    /// The same, for work that does not wait.
    func with<Result>(_ access: Ledger.Access, _ body: (Ledger) throws -> Result) throws -> Result {
        try body(try ledger(access))
    }
}
