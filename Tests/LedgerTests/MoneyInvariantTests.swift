import Foundation
import KlingCore
import LedgerTestSupport
import Testing

@testable import Ledger

@Suite("Money in the ledger is append-only")
struct MoneyInvariantTests {
    @Test("A pending submission is recorded with its hold in one transaction", arguments: LedgerBackend.all)
    func holdWithSubmission(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger throws in
            try ledger.record(pendingSubmission("s1"))
            #expect(try ledger.state(ofSubmission: "s1") == .pending)
            #expect(try ledger.balance(ofSubmission: "s1") == MoneyBalance(held: USD(micros: 350_000), charged: .zero))
        }
    }

    @Test("Settling moves money by new rows: release the hold, charge the cost", arguments: LedgerBackend.all)
    func settleByAppending(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger throws in
            try ledger.record(pendingSubmission("s1"))
            try ledger.append(.release, amount: USD(micros: 350_000), submission: "s1")
            try ledger.append(.charge, amount: USD(micros: 245_000), submission: "s1")
            try ledger.append(.adjust, amount: USD(micros: -5_000), submission: "s1", note: "provider credit")
            #expect(try ledger.balance(ofSubmission: "s1") == MoneyBalance(held: .zero, charged: USD(micros: 240_000)))
        }
    }

    @Test(
        "Entries can be neither updated nor deleted",
        arguments: LedgerBackend.all, [
            "UPDATE entries SET amount_micros = 0",
            "UPDATE entries SET note = 'edited'",
            "DELETE FROM entries",
        ])
    func appendOnly(_ backend: LedgerBackend, sql: String) async throws {
        try await withLedger(backend) { ledger throws in
            try ledger.record(pendingSubmission("s1"))
            #expect {
                try ledger.write { db throws(LedgerError) in try db.run(sql) }
            } throws: { error in
                (error as? LedgerError)?.errorDescription?.contains("entries are append-only") == true
            }
            #expect(try ledger.balance(ofSubmission: "s1").held == USD(micros: 350_000))
        }
    }

    @Test("Submissions are never deleted and their request and quote never change", arguments: LedgerBackend.all)
    func submissionsImmutable(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger throws in
            try ledger.record(pendingSubmission("s1"))
            #expect(throws: LedgerError.self) { try ledger.write { db throws(LedgerError) in try db.run("DELETE FROM submissions") } }
            #expect(throws: LedgerError.self) { try ledger.write { db throws(LedgerError) in try db.run("UPDATE submissions SET quote_micros = 1") } }
            #expect(throws: LedgerError.self) { try ledger.write { db throws(LedgerError) in try db.run("UPDATE submissions SET team = 'other'") } }
            // The state is what moves.
            try ledger.write { db throws(LedgerError) in try db.run("UPDATE submissions SET state = 'submitted', provider_task_id = 't-1'") }
            #expect(try ledger.state(ofSubmission: "s1") == .submitted)
        }
    }

    @Test("A release cannot free more than is held", arguments: LedgerBackend.all)
    func overRelease(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger throws in
            try ledger.record(pendingSubmission("s1"))
            try ledger.append(.release, amount: USD(micros: 300_000), submission: "s1")
            #expect(throws: LedgerError.self) { try ledger.append(.release, amount: USD(micros: 50_001), submission: "s1") }
            #expect(try ledger.balance(ofSubmission: "s1").held == USD(micros: 50_000))
        }
    }

    @Test("A rejected submission is kept for the audit trail and moves no money", arguments: LedgerBackend.all)
    func rejectedMovesNoMoney(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger throws in
            var rejected = pendingSubmission("r1")
            rejected.state = .rejected
            rejected.quote = nil
            try ledger.record(rejected)
            #expect(try ledger.balance(ofSubmission: "r1") == MoneyBalance(held: .zero, charged: .zero))
            #expect(throws: LedgerError.self) { try ledger.append(.hold, amount: USD(micros: 1), submission: "r1") }
        }
    }

    @Test("Constraints catch impossible rows, and a failed write leaves nothing behind", arguments: LedgerBackend.all)
    func constraints(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger throws in
            var unpriced = pendingSubmission("s1")
            unpriced.quote = nil
            #expect(throws: LedgerError.self) { try ledger.record(unpriced) }  // pending without a quote
            #expect(throws: LedgerError.self) { try ledger.append(.charge, amount: USD(micros: -1), submission: "nope") }
            #expect(try ledger.read { db throws(LedgerError) in try db.queryOne("SELECT count(*) FROM submissions") { $0.int64(0) } } == 0)
            #expect(try ledger.read { db throws(LedgerError) in try db.queryOne("SELECT count(*) FROM entries") { $0.int64(0) } } == 0)
            try ledger.record(pendingSubmission("s2"))
            #expect(throws: LedgerError.self) { try ledger.write { db throws(LedgerError) in try db.run("UPDATE submissions SET state = 'lost'") } }
            #expect(throws: LedgerError.self) { try ledger.write { db throws(LedgerError) in try db.run("UPDATE submissions SET updated_at = 'yesterday'") } }
            #expect(try ledger.state(ofSubmission: "s2") == .pending)
        }
    }

    @Test("A duplicate idempotency key is refused, naming the SQL but not the bound values", arguments: LedgerBackend.all)
    func errorsHideValues(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger throws in
            var first = pendingSubmission("s1")
            first.idempotencyKey = "sk-live-SECRET-4242"
            try ledger.record(first)
            var second = pendingSubmission("s2")
            second.idempotencyKey = "sk-live-SECRET-4242"
            do {
                try ledger.record(second)
                Issue.record("the duplicate was accepted")
            } catch {
                let description = (error as? LedgerError)?.errorDescription ?? ""
                #expect(description.contains("a submission with this id or idempotency key exists"))
                #expect(!description.contains("INSERT"), "no SQL text in what a user reads")
                #expect(description.contains(ledger.location), "it names the ledger")
                #expect(!description.contains("SECRET"))
                #expect(!description.contains("s2"))
            }
            #expect(try ledger.state(ofSubmission: "s2") == nil)
        }
    }
}
