import Foundation
import KlingCore
import Testing

@testable import Ledger

@Suite("Concurrent writers")
struct ConcurrencyTests {
    @Test("Two connections writing at once both succeed, and neither corrupts the other")
    func twoWriters() throws {
        try withLedgerPath { path throws in
            _ = try Ledger(path: path)
            let perWriter = 150
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 2) { writer in
                do {
                    let ledger = try Ledger(path: path)
                    for index in 0..<perWriter {
                        try ledger.record(pendingSubmission("w\(writer)-\(index)", micros: Int64(writer + 1)))
                    }
                } catch {
                    failures.add("\(error)")
                }
            }
            #expect(failures.all.isEmpty)
            let ledger = try Ledger(path: path)
            try ledger.read { connection throws(LedgerError) in
            #expect(try connection.queryOne("PRAGMA integrity_check") { $0.text(0) } == "ok")
            #expect(try connection.queryOne("SELECT count(*) FROM submissions") { $0.int64(0) } == Int64(2 * perWriter))
            // Each writer's holds are all there, with its own amounts.
            #expect(try connection.queryOne("SELECT sum(amount_micros) FROM entries WHERE kind = 'hold'") { $0.int64(0) }
                == Int64(perWriter * 1 + perWriter * 2))
            }
        }
    }

    @Test("A writer waits for another's open transaction, then succeeds")
    func secondWriterWaits() throws {
        try withLedgerPath { path throws in
            let holder = try Ledger(path: path)
            let started = DispatchSemaphore(value: 0)
            let failures = Failures()
            let waited = Failures()
            let thread = Thread {
                started.wait()
                do {
                    let ledger = try Ledger(path: path, busyTimeout: .seconds(10))
                    let begin = Date()
                    try ledger.record(pendingSubmission("second"))
                    waited.add("\(Date().timeIntervalSince(begin))")
                } catch {
                    failures.add("\(error)")
                }
            }
            thread.start()
            try holder.write { connection throws(LedgerError) in
                try holder.write { db throws(LedgerError) in try db.run(
                    "INSERT INTO submissions (id, idempotency_key, provider, kind, duration_seconds, sound, state, created_at, updated_at) VALUES ('first', 'k1', 'pixazo', 'text2video', 5, 0, 'rejected', ?, ?)",
                    [.text(Timestamp.string(Date())), .text(Timestamp.string(Date()))]) }
                started.signal()
                Thread.sleep(forTimeInterval: 0.3)
            }
            while try holder.state(ofSubmission: "second") == nil && failures.all.isEmpty {
                Thread.sleep(forTimeInterval: 0.01)
            }
            #expect(failures.all.isEmpty)
            #expect(try holder.state(ofSubmission: "first") == .rejected)
            #expect(try holder.state(ofSubmission: "second") == .pending)
            #expect(Double(waited.all.first ?? "0") ?? 0 > 0.1, "the second writer should have waited for the lock")
        }
    }
}

@Suite("Batched writes")
struct BatchedWriteTests {
    @Test("Concurrent batched writes share transactions; one that fails undoes only itself; each is durable when it returns")
    func groupCommit() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kling-ledger-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let ledger = try Ledger(path: path)
        try ledger.record(pendingSubmission("taken"))
        let writes = 48
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<writes {
                group.addTask {
                    // Write 7 reuses an id that exists: the ledger refuses it.
                    let id = index == 7 ? "taken" : "batched-\(index)"
                    do {
                        try await ledger.batched { try $0.record(pendingSubmission(id, micros: 1_000 * Int64(index + 1))) }
                        // Durable as it returns: a connection of its own sees it.
                        let seen = try Ledger(path: path, access: .read).state(ofSubmission: id) == .pending
                        return (index, seen)
                    } catch {
                        return (index, false)
                    }
                }
            }
            var outcomes: [Int: Bool] = [:]
            for await (index, ok) in group { outcomes[index] = ok }
            return outcomes
        }
        #expect(outcomes.filter(\.value).count == writes - 1)
        #expect(outcomes[7] == false)
        let reader = try Ledger(path: path, access: .read)
        #expect(try reader.submissions(limit: 100).count == writes)  // 47 written and the one taken before
        // The refused write left nothing: the taken id still holds its own first amount.
        #expect(try reader.balance(ofSubmission: "taken").held == USD(micros: 350_000))
        #expect(ledger.batchedTransactions >= 1)
        #expect(ledger.batchedTransactions < writes - 1, "at least one transaction held two writes")
    }
}
