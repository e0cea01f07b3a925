import Foundation
import Gate
import KlingAPI
import KlingCore
import KlingSandbox
import Ledger
import Pricing
import Reports
import LedgerTestSupport
import Testing

/// The ledger against the provider's own bill.
@Suite("Reconciliation")
struct ReconcileTests {
    /// This month in UTC (the fixture ledger's time zone).
    static func thisMonth() -> (Date, Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.dateInterval(of: .month, for: Date())!.start
        return (start, calendar.date(byAdding: .month, value: 1, to: start)!)
    }

    @Test("Every class found against the sandbox's deduction record; --apply then agrees, and the ledger equals the bill × unit price", arguments: LedgerBackend.all)
    func everyClass(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, delay: .milliseconds(300)) { fixture in
            let sandbox = fixture.sandbox
            // Three that agree.
            for index in 0..<3 { _ = try await fixture.gate.submit(SubmissionRequest(job: cheapJob("agree \(index)")), wait: true) }
            // One the provider bills differently from what it reported when the task ended.
            let changed = try await fixture.gate.submit(SubmissionRequest(job: cheapJob("changed")), wait: true).submission
            sandbox.changeDeduction(of: try #require(changed.providerTaskID), to: try #require(Units("3.5")))
            // One made directly at the provider, around the gate.
            let bypass = try #require(try sandbox.createTasksElsewhere(1, model: "kling-v1-6", mode: .pro).first)
            // One the ledger still has open although the provider billed it.
            let open = try await fixture.gate.submit(SubmissionRequest(job: cheapJob("open"))).submission
            // One charged by hand, with no task the provider billed.
            let byHand = try await fixture.gate.submit(SubmissionRequest(job: cheapJob("by hand")), wait: true).submission
            try await Task.sleep(for: .milliseconds(500))  // every task ends at the provider
            let handTask = try #require(byHand.providerTaskID)
            sandbox.changeDeduction(of: handTask, to: .zero)

            let (start, end) = Self.thisMonth()
            let bill = try await fixture.gate.officialBill(from: start, to: end)
            let found = try fixture.gate.reconcile(provider: .kling, source: "billing", bill: bill, from: start, to: end)
            func classOf(_ task: String?) -> ReconciliationClass? { found.lines.first { $0.providerTaskID == task }?.reconciliationClass }
            #expect(found.totals[.agrees]?.count == 3)
            #expect(classOf(changed.providerTaskID) == .differs)
            let differs = try #require(found.lines.first { $0.reconciliationClass == .differs })
            #expect(differs.ledger == cents14 && differs.billed == USD(micros: 490_000), "both sides are shown")
            #expect(classOf(bypass) == .billedNotInLedger)
            #expect(found.lines.first { $0.providerTaskID == bypass }?.billed == USD(micros: 490_000))
            #expect(classOf(open.providerTaskID) == .billedStillOpen)
            #expect(classOf(handTask) == .inLedgerNotBilled)
            #expect(!found.agrees)
            #expect(try fixture.ledger.submissions().count == 6, "without apply nothing is written")

            try fixture.gate.apply(found)
            // The reconciliation report names each task's class as it was found.
            let month = ReportMonth(containing: Date(), in: TimeZone(identifier: "UTC")!)
            let report = try reportText("reconciliation", ledger: fixture.ledger, month: month, in: fixture.folder)
            for (task, kind) in [(changed.providerTaskID, "differs"), (bypass, "billed_not_in_ledger"), (open.providerTaskID, "billed_still_open"),
                                 (handTask, "in_ledger_not_billed")] {
                let line = report.split(separator: "\r\n").first { $0.contains(",\(task ?? "?"),") }
                #expect(line?.hasPrefix("kling,billing,\(kind),") == true, "\(task ?? "?"): \(line ?? "no line")")
            }
            #expect(report.split(separator: "\r\n").filter { $0.contains(",agrees,") }.count == 3)
            let again = try fixture.gate.reconcile(
                provider: .kling, source: "billing", bill: try await fixture.gate.officialBill(from: start, to: end), from: start, to: end)
            #expect(again.agrees, "\(again.lines.filter { $0.reconciliationClass != .agrees }.map(\.note))")
            let charged = try fixture.ledger.submissions().reduce(Int64(0)) { $0 + $1.balance.charged.micros }
            let billed = try sandbox.deductions.reduce(Int64(0)) { $0 + (try $1.units.cost(at: cents14)).micros }
            #expect(charged == billed, "the ledger equals the provider's record × the unit price, to the micro-dollar")
            let unattributed = try #require(try fixture.ledger.submission(providerTaskID: bypass, provider: .kling))
            #expect(unattributed.team == nil && unattributed.tags["unattributed"] != nil)
            #expect(unattributed.balance == MoneyBalance(held: .zero, charged: USD(micros: 490_000)))
            // Applying twice records nothing twice.
            try fixture.gate.apply(found)
            #expect(try fixture.ledger.submissions().count == 7)
        }
    }

    @Test("Unattributed spend counts for everyone's and the provider's budgets, never a team's", arguments: LedgerBackend.all)
    func unattributedBudgets(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, delay: .milliseconds(100)) { fixture in
            let all = try fixture.ledger.setBudget(BudgetSpec(scope: .all, period: .month, limit: USD(micros: 100_000)))
            let team = try fixture.ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 100_000)))
            try fixture.sandbox.createTasksElsewhere(1)
            try await Task.sleep(for: .milliseconds(300))
            let (start, end) = Self.thisMonth()
            let found = try fixture.gate.reconcile(
                provider: .kling, source: "billing", bill: try await fixture.gate.officialBill(from: start, to: end), from: start, to: end)
            try fixture.gate.apply(found)  // recorded although it is over the hard limit: it already happened
            #expect(try fixture.ledger.budget(id: all.id)?.charged == cents14)
            #expect(try fixture.ledger.budget(id: team.id)?.charged == .zero)
        }
    }

    @Test("While a submission without a task id is open, billed tasks the ledger cannot match are not recorded as unattributed", arguments: LedgerBackend.all)
    func ambiguousUnattributed(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, delay: .milliseconds(100)) { fixture in
            fixture.sandbox.inject(.dropAfterCreate, provider: .pixazo)
            let lost = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(provider: .pixazo))).submission
            #expect(lost.state == .unknown && lost.providerTaskID == nil)
            let task = try #require(fixture.sandbox.tasks.only)
            let (start, end) = Self.thisMonth()
            let bill = [BilledTask(taskID: task.taskID, amount: .dollars(USD(micros: 350_000)), billedAt: Date())]
            let found = try fixture.gate.reconcile(provider: .pixazo, source: "csv", bill: bill, from: start, to: end)
            #expect(found.ambiguous)
            #expect(found.lines.only?.note.contains("run `kling-ledger sync` first") == true)
            try fixture.gate.apply(found)
            #expect(try fixture.ledger.submissions().count == 1, "not recorded twice: the open one may be it")
        }
    }

    @Test("A conditional adjustment is applied once, however many processes apply the same finding")
    func adjustOnce() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("adjust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = try Ledger(path: folder.appendingPathComponent("l.sqlite").path)
        let job = try cheapJob().validated()
        let quote = try PriceBook.load(environment: [:]).quote(job)
        _ = try ledger.reserve(NewSubmission(id: "s", idempotencyKey: "s", job: job, quote: QuotedPrice(quote), state: .pending))
        try ledger.settle("s", .succeeded(cost: cents14, finalUnitDeduction: "1", videos: [], note: "x"))
        #expect(try ledger.adjust("s", by: USD(micros: 350_000), ifCharged: cents14, note: "differs"))
        #expect(try !ledger.adjust("s", by: USD(micros: 350_000), ifCharged: cents14, note: "differs, again"))
        #expect(try ledger.balance(ofSubmission: "s").charged == USD(micros: 490_000))
    }

    @Test("More than 500 deductions are read across pages, at most one request a second", arguments: LedgerBackend.all)
    func paging(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, delay: .zero) { fixture in
            try fixture.sandbox.createTasksElsewhere(1_100)
            try await Task.sleep(for: .milliseconds(50))
            let (start, end) = Self.thisMonth()
            let bill = try await fixture.gate.officialBill(from: start, to: end)
            #expect(bill.count == 1_100)
            #expect(Set(bill.map(\.taskID)).count == 1_100)
            let pages = fixture.sandbox.requests.filter { $0.path == "/account/billing/package" }.map(\.receivedAt)
            #expect(pages.count == 3)
            for (earlier, later) in zip(pages, pages.dropFirst()) {
                #expect(later.timeIntervalSince(earlier) >= 1, "at most one request a second, as the sandbox received them")
            }
        }
    }

    @Test("A pack that will expire with units unused, and one running low, each raise one alert, exactly once, delivered once", arguments: LedgerBackend.all)
    func packAlerts(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, delay: .zero) { fixture in
            try fixture.ledger.addAlertTarget(.url(fixture.sandbox.webhookURL("packs")), team: nil, format: .json)
            let now = Date()
            fixture.sandbox.addPack(
                SandboxPack(id: "pack-small", name: "Trial 10", total: Units(millionths: 10_000_000), effectiveAt: now.addingTimeInterval(-10 * 86_400),
                            expiresAt: now.addingTimeInterval(5 * 86_400)))
            try fixture.sandbox.createTasksElsewhere(9)  // 9 units, from the pack that expires first
            try await Task.sleep(for: .milliseconds(50))
            let first = try await fixture.gate.packs(lowPercent: 20)
            let small = try #require(first.first { $0.pack.id == "pack-small" })
            #expect(small.pack.remaining == Units(millionths: 1_000_000))
            #expect(small.raised.map(\.kind) == [.packLow])
            let standard = try #require(first.first { $0.pack.id == "pack-1" })
            #expect(standard.raised.map(\.kind) == [.packExpiring], "10,000 units unused at expiry")
            #expect(standard.unusedAtExpiry == standard.pack.remaining)
            let second = try await fixture.gate.packs(lowPercent: 20)
            #expect(second.allSatisfy { $0.raised.isEmpty }, "each alert once")
            #expect(try fixture.ledger.alerts().count == 2)
            let posted = fixture.sandbox.webhooks.filter { $0.name == "packs" }
            #expect(posted.count == 2, "each delivered once")
            let documents = posted.compactMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }
            #expect(Set(documents.compactMap { $0["kind"] as? String }) == ["pack_low", "pack_expiring"])
            #expect(documents.allSatisfy { $0["subject"] as? String == "pack" && $0.keys.contains("budget_id") })
        }
    }

    @Test("A reseller's usage export with a BOM and quoted fields reconciles; a missing column is refused by name, nothing written", arguments: LedgerBackend.all)
    func usageExport(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, delay: .milliseconds(100)) { fixture in
            var tasks: [String] = []
            for index in 0..<2 {
                let record = try await fixture.gate.submit(SubmissionRequest(job: cheapJob("p\(index)", provider: .pixazo)), wait: true).submission
                tasks.append(try #require(record.providerTaskID))
            }
            let now = Date()
            let time = ISO8601DateFormatter().string(from: now)
            let csv = "\u{FEFF}\"Task ID\",\"Cost, USD\",\"Created\"\r\n\"\(tasks[0])\",\"0.35\",\(time)\r\n\(tasks[1]),$0.35,\(time)\r\n\"px-elsewhere\",\"0.35\",\(time)\r\n"
            let file = fixture.folder.appendingPathComponent("usage.csv")
            try Data(csv.utf8).write(to: file)
            let bill = try UsageExport.read(file.path, columns: .init(taskID: "Task ID", amount: "Cost, USD", time: "Created"))
            let (start, end) = Self.thisMonth()
            let found = try fixture.gate.reconcile(provider: .pixazo, source: "csv", bill: bill, from: start, to: end)
            #expect(found.totals[.agrees]?.count == 2)
            #expect(found.lines.first { $0.providerTaskID == "px-elsewhere" }?.reconciliationClass == .billedNotInLedger)

            #expect(throws: UsageExportError.missingColumn("Amount", path: file.path, available: ["Task ID", "Cost, USD", "Created"])) {
                try UsageExport.read(file.path, columns: .init(taskID: "Task ID", amount: "Amount"))
            }
            #expect(try fixture.ledger.submissions().count == 2)
        }
    }
}

/// Runs a bundled report for a month and returns its CSV.
func reportText(_ name: String, ledger: Ledger, month: ReportMonth, in folder: URL) throws -> String {
    let file = folder.appendingPathComponent("\(name)-\(UUID().uuidString).csv")
    FileManager.default.createFile(atPath: file.path, contents: nil)
    let handle = try FileHandle(forWritingTo: file)
    try ReportRunner.run(try ReportCatalog(folder: nil, environment: [:]).definition(named: name), on: ledger, month: month, into: CSVWriter(output: handle))
    try handle.close()
    return try String(contentsOf: file, encoding: .utf8)
}
