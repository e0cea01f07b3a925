import Foundation
import KlingCore
import KlingSandbox
import Ledger
import Testing

@Suite("kling-ledger reconcile and packs", .serialized)
struct ReconcileCLITests {
    @Test("reconcile finds the classes (exit 6), writes its CSV, --apply makes it agree (exit 0), and the report shows what was found; no credential anywhere")
    func reconcileByCommand() async throws {
        let credentials = SandboxCredentials.random()
        let sandbox = try await Sandbox.start(delay: .milliseconds(200), credentials: credentials)
        defer { Task { await sandbox.stop() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-reconcile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let environment = sandbox.environment.merging(["KLING_LEDGER_DB": ledger, "KLING_LEDGER_LOG_LEVEL": "trace"]) { $1 }
        func run(_ arguments: [String]) async throws -> CLIResult {
            try await offThePool { try runCLIBlocking(arguments, environment: environment) }
        }
        var output = ""
        #expect(try await run(["submit", "--prompt", "a fox", "--model", "kling-v1", "--wait"]).status == 0)
        try sandbox.createTasksElsewhere(1)
        try await Task.sleep(for: .milliseconds(400))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let month = String(format: "%04d-%02d", calendar.component(.year, from: Date()), calendar.component(.month, from: Date()))

        let csv = folder.appendingPathComponent("reconcile.csv").path
        let found = try await run(["reconcile", "--provider", "kling", "--month", month, "--output", csv])
        output += found.stdout + found.stderr
        #expect(found.status == 6, "\(found.stderr)")
        #expect(found.stdout.contains("billed, not in ledger") && found.stdout.contains("Not applied"))
        let written = try String(contentsOfFile: csv, encoding: .utf8)
        #expect(written.hasPrefix("class,provider_task_id,submission_id,ledger_usd,billed_usd,billed_units,billed_at,note\r\n"))
        #expect(written.contains("billed_not_in_ledger") && written.contains("agrees"))

        let json = try await run(["reconcile", "--provider", "kling", "--month", month, "--json"])
        let totals = try #require(json.json?["totals"] as? [String: [String: Any]])
        #expect(totals["billed_not_in_ledger"]?["count"] as? Int == 1 && totals["agrees"]?["count"] as? Int == 1)

        let applied = try await run(["reconcile", "--provider", "kling", "--month", month, "--apply"])
        output += applied.stdout + applied.stderr
        #expect(applied.status == 0, "\(applied.stderr)")
        let again = try await run(["reconcile", "--provider", "kling", "--month", month])
        #expect(again.status == 0 && again.stdout.contains("Everything agrees."), "\(again.stdout)")
        let report = try await run(["report", "reconciliation", "--month", month])
        #expect(report.stdout.contains("billed_not_in_ledger") && report.stdout.contains("kl-unattributed-kling-"))

        let packs = try await run(["packs"])
        output += packs.stdout + packs.stderr
        #expect(packs.status == 0 && packs.stdout.contains("up to 12 h stale") && packs.stdout.contains("alert: Resource pack"))
        let packsJSON = try await run(["packs", "--json"]).jsonArray as? [[String: Any]]
        #expect(packsJSON?.first?["remaining_may_be_stale_hours"] as? Int == 12)
        #expect(packsJSON?.allSatisfy { ($0["alerts_raised"] as? [String])?.isEmpty == true } == true, "each pack alert once")

        let reseller = try await run(["reconcile", "--provider", "pixazo", "--month", month])
        #expect(reseller.status == 64 && reseller.stderr.contains("--from-csv"))
        let export = folder.appendingPathComponent("usage.csv")
        try Data("Task,Cost\nx,0.35\n".utf8).write(to: export)
        let before = try Data(contentsOf: URL(fileURLWithPath: ledger))
        let missing = try await run(["reconcile", "--provider", "pixazo", "--month", month, "--from-csv", export.path, "--task-id-column", "Task ID", "--amount-column", "Cost", "--apply"])
        #expect(missing.status == 64 && missing.stderr.contains("no column \"Task ID\""))
        #expect(try Data(contentsOf: URL(fileURLWithPath: ledger)) == before, "nothing written")

        let bytes = try Data(contentsOf: URL(fileURLWithPath: ledger))
        for secret in credentials.all {
            #expect(!output.contains(secret))
            #expect(bytes.range(of: Data(secret.utf8)) == nil)
        }
        #expect(!output.contains("eyJ"), "no signed token")
    }
}
