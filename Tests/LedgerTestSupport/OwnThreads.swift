import Ledger

/// Runs a test's body on threads of its own instead of Swift concurrency's cooperative pool:
/// the ledger's (`onLedgerThreads`).
///
/// The pool has one thread per core: two here. Tests blocking those threads for seconds starve
/// the in-process sandboxes and gateways other tests talk to. The test stays in its own task,
/// so its expectations still count.
public func onOwnThreads<T>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
) async rethrows -> T {
    try await onLedgerThreads(isolation: isolation, body)
}
