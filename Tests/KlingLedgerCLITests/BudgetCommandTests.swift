import Foundation
import Testing

@Suite("kling-ledger budget")
struct BudgetCommandTests {
    @Test("set, list, show, remove; the time zone can only change before the first budget")
    func lifecycle() async throws {
        let ledger = FileManager.default.temporaryDirectory.appendingPathComponent("cli-budget-\(UUID().uuidString)/l.sqlite").path
        defer { removeFolder(of: ledger) }
        let zone = try await runCLI(["budget", "time-zone", "Europe/Berlin", "--ledger", ledger])
        #expect(zone.status == 0)
        #expect(zone.stdout.contains("Europe/Berlin"))
        let set = try await runCLI(["budget", "set", "--team", "video", "--limit", "12.50", "--alert-at", "80,50", "--ledger", ledger])
        #expect(set.status == 0, "\(set.stderr)")
        let list = try await runCLI(["budget", "list", "--ledger", ledger])
        #expect(list.stdout.contains("team video"))
        #expect(list.stdout.contains("$12.50"))
        #expect(list.stdout.contains("[--------------------] 0%"))
        let show = try await runCLI(["budget", "show", "1", "--json", "--ledger", ledger])
        #expect(show.json?["limit_usd"] as? String == "12.50")
        #expect(show.json?["thresholds"] as? [Int] == [50, 80])
        #expect((show.json?["period_start"] as? String)?.hasSuffix(":00:00.000Z") == true)
        let late = try await runCLI(["budget", "time-zone", "UTC", "--ledger", ledger])
        #expect(late.status == 65)
        #expect(late.stderr.contains("only be set before the first budget"))
        #expect(try await runCLI(["budget", "remove", "1", "--ledger", ledger]).status == 0)
        #expect(try await runCLI(["budget", "list", "--ledger", ledger]).stdout.contains("No budgets"))
        let bad = try await runCLI(["budget", "set", "--team", "x", "--all", "--limit", "5", "--ledger", ledger])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("exactly one scope"))
    }
}
