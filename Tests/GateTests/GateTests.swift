import Foundation
import Gate
import KlingAPI
import KlingCore
import KlingSandbox
import Ledger
import Pricing
import LedgerTestSupport
import Testing

@Suite("Budget gate")
struct GateTests {
    @Test("A hard budget that fits exactly three jobs: three sent, the fourth refused with its numbers and nothing sent", arguments: LedgerBackend.all)
    func hardBudget(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            let budget = try fixture.ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 420_000)))
            var results: [GateResult] = []
            for index in 1...4 {
                results.append(try await fixture.gate.submit(SubmissionRequest(job: cheapJob("shot \(index)"), team: "video")))
            }
            #expect(results.prefix(3).allSatisfy { $0.submission.state == .submitted })
            let refused = try #require(results.last)
            guard case .refusedByBudget(let refusal) = refused.decision else {
                Issue.record("the fourth job was not refused: \(refused.decision)")
                return
            }
            #expect(refused.submission.state == .rejected)
            #expect(refused.submission.balance == MoneyBalance(held: .zero, charged: .zero))
            #expect(refusal.description == "refused by budget \(budget.id), team video (month): limit $0.42, charged $0.00, held $0.42, this job $0.14, remaining $0.00")
            #expect(fixture.sandbox.tasks.count == 3)
            let status = try #require(try fixture.ledger.budget(id: budget.id))
            #expect(status.held == USD(micros: 420_000))

            // Another team's job is not limited by it.
            let other = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(), team: "research"))
            #expect(other.submission.state == .submitted)
        }
    }

    @Test("Settled jobs move the running totals from held to charged; they equal the sums of the entries", arguments: LedgerBackend.all)
    func settleAndTotals(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            let budget = try fixture.ledger.setBudget(BudgetSpec(scope: .all, period: .month, limit: USD(micros: 10_000_000)))
            let waited = try await fixture.gate.submit(SubmissionRequest(job: cheapJob()), wait: true)
            #expect(waited.submission.state == .succeeded)
            #expect(waited.submission.actualCost == cents14)
            #expect(waited.submission.finalUnitDeduction == "1")
            #expect(waited.submission.balance == MoneyBalance(held: .zero, charged: cents14))
            _ = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(provider: .pixazo)))
            try await fixture.syncUntilSettled()
            let status = try #require(try fixture.ledger.budget(id: budget.id))
            let all = try fixture.ledger.submissions()
            #expect(status.charged.micros == all.map(\.balance.charged.micros).reduce(0, +))
            #expect(status.held.micros == all.map(\.balance.held.micros).reduce(0, +))
            #expect(status.charged == USD(micros: 490_000))
            #expect(status.peak >= status.charged)
        }
    }

    @Test("The same idempotency key twice sends one request and returns the same submission", arguments: LedgerBackend.all)
    func idempotency(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            let request = SubmissionRequest(job: cheapJob(), idempotencyKey: "batch-7/item-1")
            let first = try await fixture.gate.submit(request)
            let second = try await fixture.gate.submit(request)
            #expect(second.decision == .replayed)
            #expect(second.submission.id == first.submission.id)
            #expect(fixture.sandbox.requests.filter { $0.method == "POST" }.count == 1)
            #expect(try fixture.ledger.submissions().count == 1)
        }
    }

    @Test("A task blocked by content safety costs nothing: hold released, zero charged", arguments: LedgerBackend.all)
    func failedTaskCostsNothing(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            fixture.sandbox.inject(.failTask(message: "1301: content safety"), provider: .kling)
            let result = try await fixture.gate.submit(SubmissionRequest(job: cheapJob()), wait: true)
            #expect(result.submission.state == .failed)
            #expect(result.submission.actualCost == .zero)
            #expect(result.submission.balance == MoneyBalance(held: .zero, charged: .zero))
            #expect(result.submission.errorMessage == "1301: content safety")
        }
    }

    @Test("1303 until the retries run out: send_failed, hold released, nothing created", arguments: LedgerBackend.all)
    func refusedForNow(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, maxRetries: 1) { fixture in
            for _ in 0..<2 { fixture.sandbox.inject(.refuse(code: 1303), provider: .kling) }
            let result = try await fixture.gate.submit(SubmissionRequest(job: cheapJob()))
            #expect(result.submission.state == .sendFailed)
            #expect(result.submission.errorCode == "1303")
            #expect(result.submission.balance == MoneyBalance(held: .zero, charged: .zero))
            #expect(fixture.sandbox.tasks.isEmpty)
        }
    }

    @Test("1303 once, then accepted: retried after the backoff and sent", arguments: LedgerBackend.all)
    func retriedThenSent(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, maxRetries: 2) { fixture in
            fixture.sandbox.inject(.refuse(code: 1303), provider: .kling)
            let result = try await fixture.gate.submit(SubmissionRequest(job: cheapJob()))
            #expect(result.submission.state == .submitted)
            #expect(fixture.sandbox.tasks.count == 1)
        }
    }

    @Test("A dropped answer ends unknown with the hold kept; sync finds the task by its id and settles it once", arguments: LedgerBackend.all)
    func droppedAnswerThenSync(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            fixture.sandbox.inject(.dropAfterCreate, provider: .kling)
            let result = try await fixture.gate.submit(SubmissionRequest(job: cheapJob()))
            #expect(result.submission.state == .unknown)
            #expect(result.submission.balance.held == cents14)
            try await fixture.syncUntilSettled()
            let settled = try #require(try fixture.ledger.submission(id: result.submission.id))
            #expect(settled.state == .succeeded)
            #expect(settled.providerTaskID == fixture.sandbox.tasks.only?.taskID)
            #expect(settled.balance == MoneyBalance(held: .zero, charged: cents14))
        }
    }

    @Test("A 500 on create ends unknown; sync proves nothing was created and releases the hold", arguments: LedgerBackend.all)
    func unknownButAbsent(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            fixture.sandbox.inject(.serverError(status: 500), provider: .kling)
            let result = try await fixture.gate.submit(SubmissionRequest(job: cheapJob()))
            #expect(result.submission.state == .unknown)
            let changes = try await fixture.gate.sync()
            #expect(changes.only?.after.state == .sendFailed)
            #expect(changes.only?.after.balance == MoneyBalance(held: .zero, charged: .zero))
        }
    }

    @Test("A reseller that cannot look tasks up: sync keeps the hold and says so; resolve closes it with an adjustment", arguments: LedgerBackend.all)
    func resolveByHand(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            let budget = try fixture.ledger.setBudget(BudgetSpec(scope: .provider(.pixazo), period: .month, limit: USD(micros: 5_000_000)))
            fixture.sandbox.inject(.dropAfterCreate, provider: .pixazo)
            let result = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(provider: .pixazo)))
            #expect(result.submission.state == .unknown)
            let change = try #require(try await fixture.gate.sync().only)
            #expect(change.after.state == .unknown)
            #expect(change.note.contains("kling-ledger resolve \(result.submission.id)"))
            let resolved = try fixture.gate.resolve(result.submission.id, succeeded: true, cost: USD(micros: 350_000), note: "seen on the Pixazo invoice")
            #expect(resolved.state == .succeeded)
            #expect(resolved.balance == MoneyBalance(held: .zero, charged: USD(micros: 350_000)))
            #expect(try fixture.ledger.budget(id: budget.id)?.charged == USD(micros: 350_000))
            #expect(throws: LedgerError.self) { try fixture.gate.resolve(result.submission.id, succeeded: false, note: "again") }
        }
    }

    @Test("An invalid job is refused with nothing written, held or sent", arguments: LedgerBackend.all, [
        VideoJob(provider: .kling, model: "kling-v9", prompt: "x"),
        VideoJob(provider: .kling, prompt: ""),
        VideoJob(provider: .kling, prompt: String(repeating: "a", count: 2501)),
        VideoJob(provider: .kling),
    ])
    func invalidJob(_ backend: LedgerBackend, _ job: VideoJob) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            await #expect(throws: (any Error).self) { try await fixture.gate.submit(SubmissionRequest(job: job)) }
            let rows = try fixture.ledger.submissions()
            #expect(rows.isEmpty, "an invalid request leaves no row in the append-only ledger")
            #expect(fixture.sandbox.requests.isEmpty)
        }
    }

    @Test("A dry run quotes and checks only the budgets that apply; nothing is held, sent or recorded", arguments: LedgerBackend.all)
    func dryRun(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            try fixture.ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 100_000)))
            try fixture.ledger.setBudget(BudgetSpec(scope: .team("research"), period: .month, limit: USD(micros: 100_000)))
            let dry = try fixture.gate.dryRun(SubmissionRequest(job: cheapJob(), team: "video"))
            #expect(dry.quote.amount == cents14)
            #expect(dry.budgets.map(\.spec.scope) == [.team("video")])
            #expect(dry.refusal?.budget.spec.scope == .team("video"))
            #expect(try fixture.ledger.submissions().isEmpty)
            #expect(fixture.sandbox.requests.isEmpty)
        }
    }

    @Test("A soft budget lets the job through with a warning", arguments: LedgerBackend.all)
    func softBudget(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            try fixture.ledger.setBudget(BudgetSpec(scope: .all, period: .month, limit: USD(micros: 100_000), enforcement: .soft))
            let result = try await fixture.gate.submit(SubmissionRequest(job: cheapJob()))
            #expect(result.submission.state == .submitted)
            #expect(result.warnings.only?.description.contains("over soft budget") == true)
        }
    }

    @Test("A budget set mid-month counts the month's earlier submissions", arguments: LedgerBackend.all)
    func budgetAdoptsHistory(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            _ = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(), team: "video"), wait: true)
            let budget = try fixture.ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 200_000)))
            #expect(budget.charged == cents14)
            let refused = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(), team: "video"))
            #expect(refused.submission.state == .rejected)
        }
    }

    @Test("The API keys used appear nowhere in the SQLite files")
    func noSecretsInLedger() async throws {
        let credentials = SandboxCredentials.random()
        try await GateFixture.with(credentials: credentials) { fixture in
            for provider in Provider.allCases {
                _ = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(provider: provider)))
            }
            fixture.sandbox.inject(.refuse(code: 1201), provider: .kling)
            _ = try await fixture.gate.submit(SubmissionRequest(job: cheapJob("refused")))
            try await fixture.syncUntilSettled()
            var bytes = Data()
            let folder = URL(fileURLWithPath: fixture.ledger.path).deletingLastPathComponent()
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                bytes += (try? Data(contentsOf: folder.appendingPathComponent(name))) ?? Data()
            }
            #expect(bytes.count > 4096)
            #expect(bytes.range(of: Data("sbx-kling".utf8)) != nil, "the search can find what is there")
            for secret in credentials.all {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "a secret is in the ledger files")
            }
        }
    }
}

extension Collection {
    var only: Element? { count == 1 ? first : nil }
}
