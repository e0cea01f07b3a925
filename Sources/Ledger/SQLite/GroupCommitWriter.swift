import Foundation
import Synchronization

/// Commits the writes queued at the same moment in one transaction, on a thread and a
/// connection of its own: many concurrent writers pay one fsync between them, and none of the
/// threads that queued them is blocked while it happens.
///
/// Each write runs in a savepoint of the shared transaction, so one that fails (a refusal, a
/// broken invariant) undoes only itself; each caller is resumed only once the transaction is
/// durable — or with the commit's error, if it was not.
final class GroupCommitWriter: Sendable {
    private struct Job: Sendable {
        /// Runs the write in its savepoint and keeps its outcome.
        let run: @Sendable (Ledger) -> Void
        /// Resumes the caller: with the write's outcome once committed, or the commit's error.
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct Queue {
        var jobs: [Job] = []
        var stopped = false
    }

    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    /// The most writes one transaction takes: enough to amortize an fsync, few enough that the
    /// first caller of a batch is not kept long.
    private let batchLimit = 64
    /// Transactions committed so far, for tests and benchmarks.
    private let commits = Atomic<Int>(0)
    var transactionsCommitted: Int { commits.load(ordering: .relaxed) }

    /// Starts the writer's thread on its own connection to the ledger.
    init(ledger: Ledger) {
        let thread = Thread { [self] in run(on: ledger) }
        thread.name = "kling-ledger writer"
        thread.start()
    }

    private func run(on ledger: Ledger) {
        while true {
            wake.wait()
            let (jobs, stopped) = queue.withLock { queue -> ([Job], Bool) in
                let taken = Array(queue.jobs.prefix(batchLimit))
                queue.jobs.removeFirst(taken.count)
                return (taken, queue.stopped && queue.jobs.isEmpty)
            }
            if !jobs.isEmpty {
                do {
                    try ledger.write { _ throws(LedgerError) in
                        for job in jobs {
                            // A failure the engine answers by ending the whole transaction (a full
                            // disk) must not let the next writes run, and commit, on their own.
                            guard ledger.isInTransaction else { throw .corrupt("the shared transaction ended under a failed write") }
                            job.run(ledger)
                        }
                    }
                    commits.add(1, ordering: .relaxed)
                    jobs.forEach { $0.finish(nil) }
                } catch {
                    jobs.forEach { $0.finish(error) }
                }
            }
            if stopped { return }
        }
    }

    /// Queues `body`; returns its result once the transaction holding it is committed.
    func perform<T: Sendable>(_ body: @escaping @Sendable (Ledger) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = Mutex<Result<T, any Error>?>(nil)
            let job = Job(
                run: { ledger in
                    let result = Result { try ledger.savepoint { try body(ledger) } }
                    outcome.withLock { $0 = result }
                },
                finish: { commitError in
                    if let commitError {
                        continuation.resume(throwing: commitError)
                    } else {
                        continuation.resume(with: outcome.withLock { $0 } ?? .failure(LedgerError.corrupt("a queued write that never ran")))
                    }
                })
            let accepted = queue.withLock { queue -> Bool in
                guard !queue.stopped else { return false }
                queue.jobs.append(job)
                return true
            }
            guard accepted else { return continuation.resume(throwing: LedgerError.corrupt("the ledger's writer has stopped")) }
            wake.signal()
        }
    }

    /// Lets the thread finish what is queued, then end.
    func stop() {
        queue.withLock { $0.stopped = true }
        wake.signal()
    }
}
