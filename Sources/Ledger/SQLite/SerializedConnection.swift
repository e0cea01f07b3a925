import Foundation

/// The ledger's connection, used by one thread at a time. Its lock may be taken again by the
/// thread that holds it (one ledger method calling another), and it knows that thread, so that
/// the connection can be reached only from inside `with` — the ledger's `read`, `write` and
/// methods — and never by code that forgot to take it.
///
/// `@unchecked Sendable`: the connection (not thread-safe itself) is only ever reached under
/// the lock, which `owned` checks.
final class SerializedConnection: @unchecked Sendable {
    private let connection: any LedgerConnection
    private let lock = NSRecursiveLock()
    /// The thread holding the lock, and how many times it took it; written under the lock.
    private var owner: pthread_t?
    private var holds = 0

    init(_ connection: any LedgerConnection) {
        self.connection = connection
    }

    /// Runs `body` holding the connection.
    func with<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        owner = pthread_self()
        holds += 1
        defer {
            holds -= 1
            if holds == 0 { owner = nil }
            lock.unlock()
        }
        return try body()
    }

    /// The connection, for code running inside `with` on this thread.
    var owned: any LedgerConnection {
        precondition(owner.map { pthread_equal($0, pthread_self()) != 0 } ?? false, "the ledger's connection used outside read { }, write { } or a ledger method")
        return connection
    }
}
