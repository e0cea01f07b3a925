import NIOPosix

/// Runs `body` on threads of the ledger's own instead of Swift concurrency's cooperative pool.
///
/// The ledger is a blocking API: SQLite calls, and PostgreSQL round trips waited for. The
/// cooperative pool has one thread per core, so a few callers waiting on a remote PostgreSQL
/// would stop every other task of the process (a gateway's health check, its other callers).
/// On this executor the body stays in its own task — cancellation, task-locals and test
/// expectations carry over — while a blocked wait holds one of the ledger's threads.
public func onLedgerThreads<T>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
) async rethrows -> T {
    try await withTaskExecutorPreference(LedgerThreadsExecutor.shared, isolation: isolation, operation: body)
}

/// A task executor on threads of its own. Not a dispatch queue's: on Linux the cooperative
/// pool itself runs on libdispatch's threads, so blocking a queue's threads blocks the pool.
/// Work beyond its threads waits in its queue, holding no thread at all.
final class LedgerThreadsExecutor: TaskExecutor {
    static let shared = LedgerThreadsExecutor()

    /// As many callers as may wait on the ledger at once; more wait their turn.
    private let threads: NIOThreadPool = {
        let threads = NIOThreadPool(numberOfThreads: 16)
        threads.start()
        return threads
    }()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        threads.submit { _ in job.runSynchronously(on: executor) }
    }
}
