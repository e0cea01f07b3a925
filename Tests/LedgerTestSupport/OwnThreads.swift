import Dispatch

/// Runs a test's body on threads of its own instead of Swift concurrency's cooperative pool.
///
/// The ledger is a blocking API (SQLite calls, PostgreSQL round trips waited for), and the pool
/// has one thread per core: two here. Tests blocking those threads for seconds starve the
/// in-process sandboxes and gateways other tests talk to. Running on this executor keeps the
/// test in its own task — so its expectations still count — while its blocking waits take a
/// thread that libdispatch adds as needed.
public func onOwnThreads<T>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
) async rethrows -> T {
    try await withTaskExecutorPreference(OwnThreadsExecutor.shared, isolation: isolation, operation: body)
}

/// A task executor backed by a private concurrent dispatch queue, which (unlike the
/// cooperative pool) starts another thread when its threads are blocked.
///
/// Not the ledger's own threads (`onLedgerThreads`): those are a fixed number, right for a
/// process's callers waiting on PostgreSQL, while dozens of tests running at once may each
/// block for seconds and must not wait their turn for a thread.
final class OwnThreadsExecutor: TaskExecutor {
    static let shared = OwnThreadsExecutor()

    private let queue = DispatchQueue(label: "kling-ledger-tests.own-threads", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
