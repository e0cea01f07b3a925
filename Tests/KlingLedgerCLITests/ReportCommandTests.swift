import Foundation
import Testing

@Suite("kling-ledger report")
struct ReportCommandTests {
    @Test("lists the reports, writes one to a file all or nothing, and refuses bad input with exit 64 and nothing written")
    func reportCommand() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = ["KLING_LEDGER_DB": folder.appendingPathComponent("ledger.sqlite").path]

        let list = try await runCLI(["report"], environment: environment)
        #expect(list.status == 0)
        for name in ["budgets", "focus", "items", "monthly", "reconciliation"] { #expect(list.stdout.contains("\n\(name) ") || list.stdout.hasPrefix("\(name) ")) }
        #expect(list.stdout.split(separator: "\n").count == 5)

        // A report only reads: it never creates a ledger, and says where it looked.
        let none = try await runCLI(["report", "items"], environment: environment)
        #expect(none.status == 66 && none.stderr.contains("there is no ledger at"))
        #expect(!FileManager.default.fileExists(atPath: environment["KLING_LEDGER_DB"] ?? ""))
        #expect(try await runCLI(["budget", "time-zone", "UTC"], environment: environment).status == 0)

        let output = folder.appendingPathComponent("items.csv")
        let items = try await runCLI(["report", "items", "--month", "2026-11", "--output", output.path], environment: environment)
        #expect(items.status == 0, "\(items.stderr)")
        #expect(items.stderr.contains("report items for 2026-11: 0 rows written to"))
        #expect(try String(contentsOf: output, encoding: .utf8).hasPrefix("id,created_at,updated_at,state,"))

        let monthly = try await runCLI(["report", "monthly", "--by", "team,tag:campaign"], environment: environment)
        #expect(monthly.stdout == "team,tag:campaign,submissions,videos,seconds,units,charged_usd,held_usd,failed,open\r\n")

        let missing = folder.appendingPathComponent("never.csv")
        for arguments in [
            ["report", "items", "--month", "2026-13", "--output", missing.path],
            ["report", "items", "--by", "team", "--output", missing.path],
            ["report", "monthly", "--by", "colour", "--output", missing.path],
            ["report", "nope", "--output", missing.path],
        ] {
            let refused = try await runCLI(arguments, environment: environment)
            #expect(refused.status == 64, "\(arguments): \(refused.stderr)")
            #expect(refused.stdout.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: missing.path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).allSatisfy { !$0.contains("partial") })
    }
}
