import Foundation
import KlingCore
import Ledger
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `kling-ledger dashboard` on the demo's ledger, read as a person and as a browser would.
@Suite("Dashboard", .serialized)
struct DashboardCLITests {
    /// A running `kling-ledger dashboard`, its port read from what it prints.
    final class Running: @unchecked Sendable {  // touched only by the test that started it
        let process: Process
        let port: Int

        init(ledger: String) throws {
            process = try userProcess(["dashboard", "--port", "0", "--ledger", ledger], in: FileManager.default.temporaryDirectory)
            let stdout = Pipe()
            process.standardOutput = stdout
            process.standardError = FileHandle.nullDevice
            try process.run()
            port = try listeningPort(printedTo: stdout)
        }

        func get(_ path: String) throws -> (status: Int, body: String) {
            final class Answer: @unchecked Sendable {  // written once, before the semaphore is signalled
                var value: (Int, String) = (0, "")
            }
            let done = DispatchSemaphore(value: 0)
            let answer = Answer()
            URLSession.shared.dataTask(with: URL(string: "http://127.0.0.1:\(port)\(path)")!) { data, response, _ in
                answer.value = ((response as? HTTPURLResponse)?.statusCode ?? 0, data.map { String(decoding: $0, as: UTF8.self) } ?? "")
                done.signal()
            }.resume()
            done.wait()
            return answer.value
        }

        /// `get`, away from the test's own threads (it waits for the answer).
        func fetch(_ path: String) async throws -> (status: Int, body: String) {
            try await offThePool { try self.get(path) }
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    static func demoLedger() throws -> (folder: URL, ledger: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ledger = folder.appendingPathComponent("demo.sqlite").path
        let demo = try runCLIBlocking(["demo", "--ledger", ledger])
        guard demo.status == 0 else { throw ServeDidNotStart(output: demo.stderr) }
        return (folder, ledger)
    }

    /// A table's rows on a page, as cell texts.
    static func table(_ id: String, in html: String) -> [[String]] {
        guard let start = html.range(of: "<table id=\"\(id)\"") else { return [] }
        let rest = html[start.upperBound...]
        guard let end = rest.range(of: "</table>") else { return [] }
        let body = rest[..<end.lowerBound]
        return body.components(separatedBy: "<tr>").dropFirst().compactMap { row in
            let cells = row.components(separatedBy: "<td").dropFirst().map { cell -> String in
                let content = String(cell.drop(while: { $0 != ">" }).dropFirst()).components(separatedBy: "</td>").first ?? ""
                return content.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            }
            return cells.isEmpty ? nil : cells
        }
    }

    /// A CSV's rows as dictionaries by header: quoted fields (commas, doubled quotes, line breaks) read as RFC 4180 says.
    static func csv(_ text: String) -> [[String: String]] {
        var lines: [[String]] = [], row: [String] = [], field = "", quoted = false
        var characters = Array(text.unicodeScalars)[...]
        while let character = characters.popFirst() {
            switch (quoted, character) {
            case (true, "\""):
                if characters.first == "\"" { field.unicodeScalars.append("\""); characters.removeFirst() } else { quoted = false }
            case (true, _): field.unicodeScalars.append(character)
            case (false, "\""): quoted = true
            case (false, ","): row.append(field); field = ""
            case (false, "\r"): break
            case (false, "\n"): row.append(field); lines.append(row); row = []; field = ""
            default: field.unicodeScalars.append(character)
            }
        }
        if !field.isEmpty || !row.isEmpty { lines.append(row + [field]) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(zip(header, $0), uniquingKeysWith: { first, _ in first }) }
    }

    @Test("Each page's figures equal the report CSVs' to the cent: the month's charged and held, by team and by provider, every budget")
    func figuresEqualReports() async throws {
        let (folder, ledger) = try await offThePool { try Self.demoLedger() }
        defer { try? FileManager.default.removeItem(at: folder) }
        let dashboard = try await offThePool { try Running(ledger: ledger) }
        defer { dashboard.stop() }
        let month = String(Timestamp.string(Date()).prefix(7))

        let overview = try await dashboard.fetch("/?month=\(month)")
        #expect(overview.status == 200)
        let byTeam = Self.csv(try await offThePool { try runCLIBlocking(["report", "monthly", "--by", "team", "--month", month, "--ledger", ledger]) }.stdout)
        let total = byTeam.compactMap { $0["charged_usd"].flatMap(USD.init) }.reduce(USD.zero) { USD(micros: $0.micros + $1.micros) }
        let held = byTeam.compactMap { $0["held_usd"].flatMap(USD.init) }.reduce(USD.zero) { USD(micros: $0.micros + $1.micros) }
        #expect(overview.body.contains("id=\"charged\">$\(total.decimalString)<"), "the month's charged total is the report's")
        #expect(overview.body.contains("id=\"held\">$\(held.decimalString)<"))
        #expect(total > .zero)

        let pageTeams = Dictionary(uniqueKeysWithValues: Self.table("by-team", in: overview.body).map { ($0[0], $0[1]) })
        let reportTeams = Dictionary(uniqueKeysWithValues: byTeam.map { ($0["team"] ?? "", "$" + ($0["charged_usd"] ?? "")) })
        #expect(!pageTeams.isEmpty && pageTeams == reportTeams, "by team: \(pageTeams) vs \(reportTeams)")

        let byProvider = Self.csv(try await offThePool { try runCLIBlocking(["report", "monthly", "--by", "provider", "--month", month, "--ledger", ledger]) }.stdout)
        let pageProviders = Dictionary(uniqueKeysWithValues: Self.table("by-provider", in: overview.body).map { ($0[0], $0[1]) })
        #expect(pageProviders == Dictionary(uniqueKeysWithValues: byProvider.map { ($0["provider"] ?? "", "$" + ($0["charged_usd"] ?? "")) }))

        let byModel = Self.csv(try await offThePool { try runCLIBlocking(["report", "monthly", "--by", "model,mode", "--month", month, "--ledger", ledger]) }.stdout)
        let pageModels = Dictionary(uniqueKeysWithValues: Self.table("by-model", in: overview.body).map { ($0[0], $0[1]) })
        let reportModels = Dictionary(
            uniqueKeysWithValues: byModel.map { row in
                ([(row["model"] ?? "").isEmpty ? "(default)" : row["model"] ?? "", row["mode"] ?? ""].filter { !$0.isEmpty }.joined(separator: " "),
                 "$" + (row["charged_usd"] ?? ""))
            })
        #expect(pageModels == reportModels, "by model: \(pageModels) vs \(reportModels)")

        // The downloads are the report definitions' own CSV.
        let download = try await dashboard.fetch("/reports/monthly.csv?month=\(month)")
        #expect(download.status == 200 && download.body.hasPrefix("team,provider,model,"))

        let budgetsPage = try await dashboard.fetch("/budgets")
        let budgetsReport = Self.csv(try await offThePool { try runCLIBlocking(["report", "budgets", "--month", month, "--ledger", ledger]) }.stdout)
        #expect(!budgetsReport.isEmpty)
        for budget in budgetsReport {
            let id = budget["budget"] ?? ""
            guard let section = budgetsPage.body.range(of: "id=\"budget-\(id)\"") else {
                Issue.record("budget \(id) is not on the page")
                continue
            }
            let text = String(budgetsPage.body[section.upperBound...].prefix(3000))
            for column in ["limit_usd", "charged_usd", "held_usd", "remaining_usd"] {
                #expect(text.contains(">$\(budget[column] ?? "?")<"), "budget \(id) \(column) \(budget[column] ?? "?")")
            }
        }

        let calm = try await dashboard.fetch("/attention")
        #expect(calm.status == 200 && calm.body.contains("id=\"nothing\""), "the demo leaves nothing to do")
        // A submission whose create's answer was lost: it needs a person, and the page says how.
        let store = try Ledger(path: ledger, access: .write)
        let lost = NewSubmission(
            id: "kl-lost", idempotencyKey: "kl-lost", job: BillableJob(provider: .pixazo), team: "video",
            quote: QuotedPrice(amount: USD(micros: 350_000), units: nil, unitPrice: nil, unitPriceSource: nil, table: "t", version: "v", rule: "r"),
            state: .pending)
        _ = try store.reserve(lost)
        _ = try store.markUnknown("kl-lost", code: nil, message: "the answer to its create was lost")
        let attention = try await dashboard.fetch("/attention")
        let items = Self.table("attention", in: attention.body)
        #expect(items.contains { $0[0] == "unknown outcome" && $0[1] == "kl-lost" && $0[3].contains("kling-ledger resolve kl-lost") }, "\(items)")
        let submissions = try await dashboard.fetch("/submissions?month=\(month)&provider=kling")
        let rows = Self.table("submissions", in: submissions.body)
        #expect(!rows.isEmpty && rows.allSatisfy { $0[4] == "kling" }, "filtered by provider")
        // Every submission's charged and held on the list equal the items report's.
        let everything = Self.table("submissions", in: try await dashboard.fetch("/submissions?month=\(month)").body)
        let itemsReport = Self.csv(try await offThePool { try runCLIBlocking(["report", "items", "--month", month, "--ledger", ledger]) }.stdout)
        #expect(everything.count == itemsReport.count && !itemsReport.isEmpty)
        for item in itemsReport {
            let row = everything.first { $0[1] == item["id"] }
            #expect(row?[7] == "$" + (item["charged_usd"] ?? "?") && row?[8] == "$" + (item["held_usd"] ?? "?"), "\(item["id"] ?? ""): \(row ?? [])")
        }
        let id = try #require(rows.first?[1])
        let detail = try await dashboard.fetch("/submissions/\(id)")
        #expect(detail.status == 200 && detail.body.contains("<table id=\"entries\">") && detail.body.contains("hold"))
        #expect(try await dashboard.fetch("/?month=2026-13").status == 400)
        let reconciliation = try await dashboard.fetch("/reconciliation?month=\(month)")
        #expect(reconciliation.status == 200 && reconciliation.body.contains("kling-ledger reconcile --provider kling --month \(month)"))
    }

    @Test(
        "In a real headless Chromium, every page loads without a console error, with its charts, no wider than a phone's screen; screenshots kept",
        .enabled(if: chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil, "Chromium is not installed here (`bash .ci/run` installs it)"))
    func inChromium() async throws {
        let browser = try #require(Self.chromium, "CI is set but Chromium was not found: .ci/run installs it")
        let (folder, ledger) = try await offThePool { try Self.demoLedger() }
        defer { try? FileManager.default.removeItem(at: folder) }
        let dashboard = try await offThePool { try Running(ledger: ledger) }
        defer { dashboard.stop() }
        let id = try #require(Self.table("submissions", in: try await dashboard.fetch("/submissions").body).first?[1])
        let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/dashboard-screenshots")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/check_pages.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, browser, "http://127.0.0.1:\(dashboard.port)", screenshots.path, "/=4", "/budgets=3", "/attention=0", "/submissions=0", "/submissions/\(id)=0", "/reconciliation=0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let (status, text) = try await offThePool { () -> (Int32, String) in
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        #expect(status == 0, "\(text)")
        #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent("overview-phone.png").path))
    }

    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
