import Foundation
import KlingCore
import Testing

@testable import Ledger

/// The schema guards money even against SQL typed by hand into a connection that has none of
/// the ledger's settings (as the `sqlite3` shell would be).
@Suite("The schema refuses to rewrite money")
struct TamperingTests {
    /// A ledger with submissions a (holding, submitted as task T1) and b, and a plain connection.
    func withTwoSubmissions(_ body: (Ledger, DatabaseConnection) throws -> Void) throws {
        try withLedger { ledger throws in
            try ledger.record(pendingSubmission("a"))
            try ledger.record(pendingSubmission("b"))
            try ledger.write { db throws(LedgerError) in try db.run("UPDATE submissions SET state = 'submitted', provider_task_id = 'T1' WHERE id = 'a'") }
            try body(ledger, try DatabaseConnection(path: ledger.path))
        }
    }

    @Test(
        "REPLACE cannot rewrite or delete rows, with or without recursive triggers",
        arguments: [
            "INSERT OR REPLACE INTO entries (id, submission_id, kind, amount_micros, created_at) VALUES (1, 'a', 'hold', 1, '2026-11-21T00:00:00.000Z')",
            "REPLACE INTO submissions (id, idempotency_key, provider, kind, duration_seconds, sound, state, created_at, updated_at) VALUES ('a', 'x', 'pixazo', 'text2video', 5, 0, 'rejected', '2026-11-21T00:00:00.000Z', '2026-11-21T00:00:00.000Z')",
            "UPDATE OR REPLACE submissions SET provider_task_id = 'T1' WHERE id = 'b'",
        ])
    func noReplace(sql: String) throws {
        try withTwoSubmissions { ledger, plain throws in
            #expect(throws: LedgerError.self) { try plain.run(sql) }
            #expect(throws: LedgerError.self) { try ledger.write { db throws(LedgerError) in try db.run(sql) } }
            #expect(try ledger.read { db throws(LedgerError) in try db.queryOne("SELECT count(*) FROM submissions") { $0.int64(0) } } == 2)
            #expect(try ledger.balance(ofSubmission: "a").held == USD(micros: 350_000))
        }
    }

    @Test("Nothing is held or charged twice, and nothing is charged that was not held")
    func oneHoldOneCharge() throws {
        try withTwoSubmissions { ledger, _ throws in
            #expect(throws: LedgerError.self) { try ledger.append(.hold, amount: USD(micros: 1), submission: "a") }
            try ledger.append(.charge, amount: USD(micros: 350_000), submission: "a")
            #expect(throws: LedgerError.self) { try ledger.append(.charge, amount: USD(micros: 350_000), submission: "a") }
            var unheld = pendingSubmission("c")
            unheld.state = .unknown
            try ledger.record(unheld)  // not pending: recorded without a hold
            #expect(throws: LedgerError.self) { try ledger.append(.charge, amount: USD(micros: 1), submission: "c") }
            #expect(try ledger.balance(ofSubmission: "a").charged == USD(micros: 350_000))
        }
    }

    @Test(
        "States only move forward, a submission that may hold money is never 'rejected', a settled cost is final",
        arguments: [
            "UPDATE submissions SET state = 'rejected' WHERE id = 'a'",
            "UPDATE submissions SET state = 'pending' WHERE id = 'done'",
            "UPDATE submissions SET actual_cost_micros = 1 WHERE id = 'done'",
            "UPDATE submissions SET final_unit_deduction = '1' WHERE id = 'done'",
            "UPDATE submissions SET aspect_ratio = '1:1' WHERE id = 'a'",
        ])
    func forwardOnly(sql: String) throws {
        try withTwoSubmissions { ledger, _ throws in
            try ledger.record(pendingSubmission("done"))
            try ledger.write { db throws(LedgerError) in try db.run(
                "UPDATE submissions SET state = 'succeeded', final_unit_deduction = '2.5', actual_cost_micros = 350000 WHERE id = 'done'") }
            #expect(throws: LedgerError.self) { try ledger.write { db throws(LedgerError) in try db.run(sql) } }
        }
    }

    @Test("A pending submission needs a price above $0")
    func noFreeQuote() throws {
        try withLedger { ledger throws in
            #expect(throws: LedgerError.self) { try ledger.record(pendingSubmission("free", micros: 0)) }
        }
    }

    @Test("Several statements in one call are refused rather than half run")
    func oneStatementAtATime() throws {
        try withLedger { ledger throws in
            #expect(throws: LedgerError.self) {
                try ledger.write { db throws(LedgerError) in try db.run("SELECT 1; DELETE FROM entries") }
            }
        }
    }

    @Test("An empty database marked by another program is refused and left untouched", arguments: ["application_id = 7", "user_version = 3"])
    func markedEmptyDatabase(pragma: String) throws {
        try withLedgerPath { path throws in
            do { try DatabaseConnection(path: path).execute("PRAGMA \(pragma)") }
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(throws: LedgerError.notALedger(path: path)) { try Ledger(path: path) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
        }
    }
}
