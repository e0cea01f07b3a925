import Foundation
import KlingCore
import LedgerTestSupport
import Testing

@testable import Ledger

/// A budget counts every submission in its scope (not rejected, made before it was removed), in
/// the period holding the submission's `created_at`: a rule, not a row per submission.
@Suite("Which submissions a budget counts")
struct BudgetScopeTests {
    static func day(_ text: String) -> Date { Date(iso8601OrDay: text)! }

    /// October and November submissions for two teams, settled at a cost, one left holding, one refused.
    static func history(_ ledger: Ledger) throws {
        let jobs: [(id: String, team: String, at: String, cost: Int64?)] = [
            ("oct-video", "video", "2026-10-10T12:00:00Z", 300_000), ("oct-ads", "ads", "2026-10-20T12:00:00Z", 200_000),
            ("nov-video", "video", "2026-11-02T12:00:00Z", 400_000), ("nov-video-open", "video", "2026-11-03T12:00:00Z", nil),
            ("nov-ads", "ads", "2026-11-04T12:00:00Z", 100_000),
        ]
        for job in jobs {
            _ = try ledger.reserve(pendingSubmission(job.id, micros: 350_000, team: job.team), at: day(job.at))
            if let cost = job.cost {
                _ = try ledger.settle(job.id, .succeeded(cost: USD(micros: cost), finalUnitDeduction: nil, videos: [], note: "done"), at: day(job.at))
            }
        }
    }

    @Test("A new budget counts its scope's history per period: held and charged equal the submissions' own balances", arguments: LedgerBackend.all)
    func adoptsHistory(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger in
            try Self.history(ledger)
            let video = try ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 5_000_000)), at: Self.day("2026-11-05T00:00:00Z"))
            #expect(video.charged == USD(micros: 400_000) && video.held == USD(micros: 350_000), "November: one charged, one still holding")
            let october = try #require(try ledger.budget(id: video.id, at: Self.day("2026-10-15T00:00:00Z")))
            #expect(october.charged == USD(micros: 300_000) && october.held == .zero)
            let everyone = try ledger.setBudget(BudgetSpec(scope: .all, period: .total, limit: USD(micros: 5_000_000)))
            #expect(everyone.charged == USD(micros: 1_000_000) && everyone.held == USD(micros: 350_000))

            // The rule, as the view reports and alerts read it.
            let counted = try ledger.read { db throws(LedgerError) in
                try db.query("SELECT budget_id, period_start, submission_id FROM budget_submissions ORDER BY budget_id, submission_id", []) {
                    "\($0.int64("budget_id")) \($0.text("period_start")) \($0.text("submission_id"))"
                }
            }
            #expect(counted == [
                "\(video.id) 2026-11-01T00:00:00.000Z nov-video", "\(video.id) 2026-11-01T00:00:00.000Z nov-video-open",
                "\(video.id) 2026-10-01T00:00:00.000Z oct-video",
                "\(everyone.id) total nov-ads", "\(everyone.id) total nov-video", "\(everyone.id) total nov-video-open",
                "\(everyone.id) total oct-ads", "\(everyone.id) total oct-video",
            ])
        }
    }

    @Test("Later money on an adopted submission moves the new budget in that submission's period, and only there", arguments: LedgerBackend.all)
    func laterMoneyOnHistory(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger in
            try Self.history(ledger)
            let video = try ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 5_000_000)), at: Self.day("2026-11-05T00:00:00Z"))
            #expect(try ledger.adjust("oct-video", by: USD(micros: 50_000), ifCharged: USD(micros: 300_000), note: "the bill says more"))
            _ = try ledger.settle("nov-video-open", .succeeded(cost: USD(micros: 250_000), finalUnitDeduction: nil, videos: [], note: "done"))
            let october = try #require(try ledger.budget(id: video.id, at: Self.day("2026-10-15T00:00:00Z")))
            let november = try #require(try ledger.budget(id: video.id, at: Self.day("2026-11-15T00:00:00Z")))
            #expect(october.charged == USD(micros: 350_000))
            #expect(november.charged == USD(micros: 650_000) && november.held == .zero)
            #expect(try ledger.balance(ofSubmission: "oct-video").charged == USD(micros: 350_000))
        }
    }

    @Test("A removed budget keeps what it counted and counts nothing made after its removal", arguments: LedgerBackend.all)
    func removedBudget(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger in
            let budget = try ledger.setBudget(BudgetSpec(scope: .team("video"), period: .total, limit: USD(micros: 5_000_000)), at: Self.day("2026-11-01T00:00:00Z"))
            _ = try ledger.reserve(pendingSubmission("before", team: "video"), at: Self.day("2026-11-02T00:00:00Z"))
            try ledger.removeBudget(id: budget.id, at: Self.day("2026-11-03T00:00:00Z"))
            _ = try ledger.reserve(pendingSubmission("after", team: "video"), at: Self.day("2026-11-04T00:00:00Z"))
            let usage = try ledger.read { db throws(LedgerError) in
                try db.queryOne("SELECT held_micros FROM budget_usage WHERE budget_id = ?", [.integer(budget.id)]) { $0.int64("held_micros") }
            }
            #expect(usage == 350_000, "only the submission made while it was in force")
        }
    }

    @Test("A submission's balance moves only with its entries: set by hand, it is refused", arguments: LedgerBackend.all)
    func balanceIsGuarded(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger in
            _ = try ledger.reserve(pendingSubmission("a"))
            #expect(throws: LedgerError.self) {
                try ledger.write { db throws(LedgerError) in try db.run("UPDATE submissions SET balance_held_micros = 0 WHERE id = 'a'") }
            }
            let stored = try ledger.read { db throws(LedgerError) in
                try db.queryOne("SELECT balance_held_micros, balance_charged_micros FROM submissions WHERE id = 'a'", []) {
                    [$0.int64("balance_held_micros"), $0.int64("balance_charged_micros")]
                }
            }
            #expect(stored == [350_000, 0])
        }
    }
}
