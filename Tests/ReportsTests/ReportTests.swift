import Foundation
import KlingCore
@testable import Ledger
import Reports
import LedgerTestSupport
import Testing

@Suite("Reports")
struct ReportTests {
    @Test("items summed equals the monthly totals to the micro-dollar, over a generated month", arguments: LedgerBackend.all)
    func itemsEqualMonthly(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger, folder in
            let generated = try ledger.generateMonth(count: 4000)
            let items = try runReport("items", on: ledger, in: folder)
            #expect(items.rows.count == generated.submissionsInMonth)
            let itemsCharged = try sumUSD(try column("charged_usd", of: items))
            let itemsHeld = try sumUSD(try column("held_usd", of: items))
            // The independent count first: the generator's own arithmetic.
            #expect(itemsCharged == generated.chargedInMonth)
            #expect(itemsHeld == generated.heldInMonth)
            #expect(generated.heldInMonth > 0 && generated.chargedInMonth > 0)

            for grouping in [nil, "team", "provider,model,mode", "tag:campaign", "user,project"] {
                let monthly = try runReport("monthly", on: ledger, in: folder, by: grouping)
                #expect(try sumUSD(try column("charged_usd", of: monthly)) == itemsCharged, "grouped by \(grouping ?? "default")")
                #expect(try sumUSD(try column("held_usd", of: monthly)) == itemsHeld, "grouped by \(grouping ?? "default")")
                let submissions = try column("submissions", of: monthly).compactMap { Int($0) }.reduce(0, +)
                let rejected = try column("state", of: items).filter { $0 == "rejected" }.count
                #expect(submissions == items.rows.count - rejected)
            }
        }
    }

    @Test("--by keeps only the chosen dimensions, in the report's order, and names the tag column", arguments: LedgerBackend.all)
    func grouping(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger, folder in
            _ = try ledger.generateMonth(count: 200)
            let byTeam = try runReport("monthly", on: ledger, in: folder, by: "team")
            #expect(byTeam.header.first == "team")
            #expect(!byTeam.header.contains("provider"))
            #expect(Set(try column("team", of: byTeam)) == ["video", "research, R&D", "Ünïcode \"team\"", "growth"])
            let byTag = try runReport("monthly", on: ledger, in: folder, by: "tag:campaign,provider")
            #expect(Array(byTag.header.prefix(2)) == ["tag:campaign", "provider"], "the order asked for")
            let byUserProject = try runReport("monthly", on: ledger, in: folder, by: "user,project")
            #expect(Array(byUserProject.header.prefix(2)) == ["user", "project"])
            #expect(Set(try column("tag:campaign", of: byTag)) == ["spring", "fall, \"special\"", "冬"])
            let standard = try runReport("monthly", on: ledger, in: folder)
            #expect(Array(standard.header.prefix(4)) == ["team", "provider", "model", "mode"])
        }
    }

    @Test("a CSV round trip through SwiftCSV keeps commas, quotes, newlines, spaces and non-ASCII text", arguments: LedgerBackend.all)
    func roundTrip(_ backend: LedgerBackend) async throws {
        let awkward = [
            "a fox, running", "she said \"hello\"", "line one\nline two", "crlf\r\nend", " leading and trailing ",
            "日本語のプロンプト 🎬", "tab\tinside", "\"", ",", "",
        ]
        try await withLedger(backend) { ledger, folder in
            let november = Date(timeIntervalSince1970: 1_793_491_200 + 3600)
            for (index, text) in awkward.enumerated() {
                var submission = NewSubmission(
                    id: "rt-\(index)", idempotencyKey: "rt-\(index)", job: BillableJob(provider: .pixazo), team: text.isEmpty ? nil : text,
                    user: "ünïcödé", tags: ["note": text, "k,\"ey\"": "v\nw"],
                    quote: QuotedPrice(amount: USD(micros: 350_000), units: nil, unitPrice: nil, unitPriceSource: nil, table: "t", version: "v", rule: "r"),
                    state: .pending, prompt: text)
                submission.id = "rt-\(index)"
                try ledger.record(submission, at: november.addingTimeInterval(Double(index)))
            }
            let items = try runReport("items", on: ledger, in: folder)
            #expect(items.rows.count == awkward.count)
            let prompts = try column("prompt", of: items)
            let teams = try column("team", of: items)
            let tags = try column("tags", of: items)
            for (index, text) in awkward.enumerated() {
                #expect(prompts[index] == text, "prompt \(index)")
                #expect(teams[index] == text, "team \(index)")
                let decoded = try JSONDecoder().decode([String: String].self, from: Data(tags[index].utf8))
                #expect(decoded == ["note": text, "k,\"ey\"": "v\nw"])
            }
            #expect(try column("user", of: items).allSatisfy { $0 == "ünïcödé" })
            // RFC 4180 framing: every record ends in CRLF, and the file is UTF-8.
            #expect(items.bytes.suffix(2) == Data("\r\n".utf8))
            #expect(String(data: items.bytes, encoding: .utf8) != nil)
        }
    }

    @Test("budgets lists limit, charged, held, remaining and peak for the month", arguments: LedgerBackend.all)
    func budgetsReport(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger, folder in
            let november = Date(timeIntervalSince1970: 1_793_491_200 + 86_400)
            try ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 2_000_000)), at: november)
            for index in 0..<3 {
                let submission = NewSubmission(
                    id: "b-\(index)", idempotencyKey: "b-\(index)", job: BillableJob(provider: .pixazo), team: "video",
                    quote: QuotedPrice(amount: USD(micros: 350_000), units: nil, unitPrice: nil, unitPriceSource: nil, table: "t", version: "v", rule: "r"),
                    state: .pending)
                guard case .reserved = try ledger.reserve(submission, at: november) else { Issue.record("not reserved"); return }
            }
            try ledger.settle("b-0", .succeeded(cost: USD(micros: 300_000), finalUnitDeduction: nil, videos: [], note: ""), at: november)
            let report = try runReport("budgets", on: ledger, in: folder)
            #expect(report.rows.count == 1)
            let row = Dictionary(uniqueKeysWithValues: zip(report.header, try #require(report.rows.first)))
            #expect(row["scope"] == "team" && row["scope_value"] == "video")
            #expect(row["limit_usd"] == "2.00")
            #expect(row["charged_usd"] == "0.30")
            #expect(row["held_usd"] == "0.70")
            #expect(row["remaining_usd"] == "1.00")
            #expect(row["peak_usd"] == "1.05")
            #expect(row["peak_percent"] == "52")
            // Another month: the budget is listed with nothing used.
            let december = try runReport("budgets", on: ledger, in: folder, month: "2026-12")
            #expect(try column("charged_usd", of: december) == ["0.00"])
        }
    }

    @Test("a report of one's own runs by name; one that would write is refused and changes nothing", arguments: LedgerBackend.all)
    func ownReports(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger, folder in
            _ = try ledger.generateMonth(count: 50)
            let own = folder.appendingPathComponent("own")
            try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
            try "-- Teams and their charged total.\nSELECT team, usd(sum(actual_cost_micros)) AS cost FROM submissions WHERE created_at >= :period_start AND created_at < :period_end GROUP BY team ORDER BY team"
                .write(to: own.appendingPathComponent("teams.sql"), atomically: true, encoding: .utf8)
            try "-- Vandalism.\nDELETE FROM budgets".write(to: own.appendingPathComponent("vandal.sql"), atomically: true, encoding: .utf8)
            try "-- Typo.\nSELECT :perod_start".write(to: own.appendingPathComponent("typo.sql"), atomically: true, encoding: .utf8)

            let catalog = try ReportCatalog(folder: own.path, environment: [:])
            #expect(try catalog.definitions().map(\.name) == ["budgets", "focus", "items", "monthly", "reconciliation", "teams", "typo", "vandal"])
            let teams = try runReport("teams", on: ledger, in: folder, reports: own.path)
            #expect(teams.header == ["team", "cost"])
            #expect(teams.rows.count == 4)

            let budgets = try ledger.budgets()
            let before = backend == .sqlite ? try Data(contentsOf: URL(fileURLWithPath: ledger.path)) : Data()
            #expect(throws: LedgerError.self) { try runReport("vandal", on: ledger, in: folder, reports: own.path) }
            #expect(try ledger.budgets() == budgets)
            if backend == .sqlite { #expect(try Data(contentsOf: URL(fileURLWithPath: ledger.path)) == before) }
            let typo = #expect(throws: LedgerError.self) { try runReport("typo", on: ledger, in: folder, reports: own.path) }
            #expect(typo?.localizedDescription.contains(":perod_start") == true)
            #expect(throws: ReportError.notGroupable(report: "items")) { try runReport("items", on: ledger, in: folder, by: "team") }
            #expect(throws: ReportError.self) { try runReport("nope", on: ledger, in: folder) }
        }
    }

    @Test("months, groupings and their mistakes", arguments: ["2026-13", "26-11", "2026-1", "November", ""])
    func badMonths(_ text: String) {
        #expect(throws: ReportError.badMonth(text)) { try ReportMonth(text) }
    }

    @Test("a month's bounds follow the ledger's time zone")
    func monthBounds() throws {
        let paris = try #require(TimeZone(identifier: "Europe/Paris"))
        let (start, end) = try ReportMonth("2026-11").bounds(in: paris)
        #expect(Timestamp.string(start) == "2026-10-31T23:00:00.000Z")
        #expect(Timestamp.string(end) == "2026-11-30T23:00:00.000Z")
        #expect(throws: ReportError.self) { try Grouping(parsing: "team,colour") }
        #expect(throws: ReportError.oneTagOnly) { try Grouping(parsing: "tag:a,tag:b") }
        #expect(try Grouping(parsing: "team, tag:cost center").tagKey == "cost center")
    }
}
