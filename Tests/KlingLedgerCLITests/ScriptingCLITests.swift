import Foundation
import KlingCore
import KlingSandbox
import Ledger
import Testing

/// What scripts and people with partial access rely on: JSON, read-only ledgers, budget
/// changes, idempotency, the demo's manners.
@Suite("kling-ledger for scripts and readers", .serialized)
struct ScriptingCLITests {
    /// A sandbox, a ledger path in a fresh folder and the environment pointing at both.
    static func withSetup<T>(_ body: (Sandbox, String, [String: String]) async throws -> T) async throws -> T {
        let sandbox = try await Sandbox.start(delay: .milliseconds(300), credentials: .random())
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-script-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        do {
            let result = try await body(sandbox, ledger, sandbox.environment.merging(["KLING_LEDGER_DB": ledger]) { $1 })
            await sandbox.stop()
            return result
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    // MARK: 8, 9. Ledgers a user can only read, and paths that do not exist

    @Test("A user who can only read the ledger lists, shows budgets and runs reports; nothing is written or created")
    func readOnlyLedger() async throws {
        try await Self.withSetup { _, ledger, environment in
            #expect(try await offThePool { try runCLIBlocking(["submit", "--prompt", "a fox", "--model", "kling-v1", "--wait"], environment: environment) }.status == 0)
            #expect(try await runCLI(["budget", "set", "--all", "--limit", "5"], environment: environment).status == 0)
            let folder = URL(fileURLWithPath: ledger).deletingLastPathComponent()
            // Root reads anything, so root's reader is `nobody`; anyone else reads files made read-only.
            chmod(folder.path, getuid() == 0 ? 0o755 : 0o555)
            chmod(ledger, getuid() == 0 ? 0o644 : 0o444)
            defer { chmod(folder.path, 0o755) }
            let before = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            let bytes = try Data(contentsOf: URL(fileURLWithPath: ledger))
            for arguments in [["list"], ["budget", "list"], ["report", "monthly"], ["status"], ["alerts", "list"]] {
                let result = try await runAsReader(arguments + ["--ledger", ledger])
                #expect(result.status == 0, "\(arguments): \(result.stderr)")
                #expect(!result.stderr.contains("SQLite"))
            }
            #expect(try await runAsReader(["list", "--ledger", ledger]).stdout.contains("succeeded"))
            let write = try await runAsReader(["budget", "set", "--all", "--limit", "9", "--ledger", ledger])
            if getuid() == 0 {
                #expect(write.status == 77, "a write by a reader: \(write.stderr)")
                #expect(write.stderr.contains("cannot be written by this user"))
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == before, "no -wal or -shm made by the reader")
            #expect(try Data(contentsOf: URL(fileURLWithPath: ledger)) == bytes)

            // A copy of the ledger file alone (as finance may get it), taken after its log was
            // folded in (`sqlite3 FILE 'PRAGMA wal_checkpoint'`): read without log files.
            try Ledger(path: ledger).checkpoint()
            let copies = folder.appendingPathComponent("copy")
            try FileManager.default.createDirectory(at: copies, withIntermediateDirectories: true)
            let copy = copies.appendingPathComponent("ledger.sqlite").path
            try FileManager.default.copyItem(atPath: ledger, toPath: copy)
            chmod(copies.path, getuid() == 0 ? 0o755 : 0o555)
            chmod(copy, getuid() == 0 ? 0o644 : 0o444)
            defer { chmod(copies.path, 0o755) }
            let listed = try await runAsReader(["list", "--ledger", copy])
            #expect(listed.status == 0 && listed.stdout.contains("succeeded"), "\(listed.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: copies.path) == ["ledger.sqlite"])
        }
    }

    /// Runs `kling-ledger` as a user who may only read: `nobody`, when the tests run as root (CI
    /// does); otherwise as this user, on files made read-only.
    private func runAsReader(_ arguments: [String]) async throws -> CLIResult {
        try await runCLI(arguments, as: getuid() == 0 ? "nobody" : nil)
    }

    // MARK: 12. JSON a script can rely on

    @Test("Every command that prints data takes --json; documented keys are always there (null when unknown); errors are JSON too")
    func json() async throws {
        try await Self.withSetup { sandbox, ledger, environment in
            func run(_ arguments: [String]) async throws -> CLIResult {
                try await offThePool { try runCLIBlocking(arguments + ["--json"], environment: environment) }
            }
            sandbox.inject(.dropAfterCreate, provider: .pixazo)
            let lost = try await run(["submit", "--provider", "pixazo", "--prompt", "a lighthouse"])
            #expect(lost.status == 75 && lost.json?["state"] as? String == "unknown")
            let lostID = try #require(lost.json?["id"] as? String)
            let submitted = try await run(["submit", "--prompt", "a fox", "--model", "kling-v1", "--idempotency-key", "k-1"])
            let object = try #require(submitted.json)
            #expect(object.keys.contains("cost_usd") && object["cost_usd"] is NSNull, "cost_usd is null until settled, never missing")
            #expect(object["replayed"] as? Bool == false)
            let id = try #require(object["id"] as? String)
            let replay = try await run(["submit", "--prompt", "a fox", "--model", "kling-v1", "--idempotency-key", "k-1"])
            #expect(replay.json?["replayed"] as? Bool == true && replay.json?["id"] as? String == id)
            let reused = try await run(["submit", "--prompt", "a bear", "--model", "kling-v1", "--idempotency-key", "k-1"])
            #expect(reused.status == 64)
            let error = try #require(reused.json?["error"] as? [String: Any])
            #expect(error["exit_code"] as? Int == 64 && (error["message"] as? String)?.contains("differs in prompt") == true)
            #expect(sandbox.tasks.count == 2)

            for arguments in [
                ["status", id], ["status"], ["list"], ["budget", "set", "--team", "video", "--limit", "2"], ["budget", "list"], ["budget", "show", "1"],
                ["budget", "time-zone"], ["alerts", "target", "add", "--webhook", sandbox.webhookURL("a")], ["alerts", "target", "list"],
                ["alerts", "list"], ["resolve", lostID, "--succeeded", "--note", "by hand"], ["sync"], ["quote"], ["compare"], ["pricing", "list"],
                ["report"], ["budget", "remove", "1"], ["alerts", "target", "remove", "1"],
            ] {
                let result = try await run(arguments)
                #expect(result.status == 0, "\(arguments): \(result.stderr)")
                #expect((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) != nil, "\(arguments) printed no JSON: \(result.stdout)")
            }
            let missing = try await run(["status", "kl-nope"])
            #expect(missing.status == 65 && (missing.json?["error"] as? [String: Any])?["exit_code"] as? Int == 65)
            let usage = try await run(["list", "--limit", "-3"])
            #expect(usage.status == 64 && usage.json?["error"] != nil, "a negative number is read as a value and refused: \(usage.stdout)")
            _ = ledger
        }
    }

    // MARK: 5. budget set changes only what is given

    @Test("budget set on an existing budget changes only the fields given and prints each change; soft → hard is said")
    func budgetSetKeepsFields() async throws {
        try await Self.withSetup { _, ledger, environment in
            let created = try await runCLI(["budget", "set", "--team", "video", "--limit", "2", "--alert-at", "60,90", "--enforcement", "soft"], environment: environment)
            #expect(created.status == 0 && created.stdout.contains("Budget 1 created."))
            #expect(created.stdout.contains("  id  scope"), "a header above the row")
            let raised = try await runCLI(["budget", "set", "--team", "video", "--limit", "3"], environment: environment)
            #expect(raised.stdout.contains("limit $2.00 → $3.00"), "\(raised.stdout)")
            let budget = try #require(try Ledger(path: ledger, access: .read).budgets().only)
            #expect(budget.spec.enforcement == .soft, "still soft")
            #expect(budget.spec.thresholds == [60, 90], "thresholds kept")
            let hard = try await runCLI(["budget", "set", "--team", "video", "--enforcement", "hard"], environment: environment)
            #expect(hard.stdout.contains("enforcement soft → hard: jobs that do not fit are now refused"))
            let missingLimit = try await runCLI(["budget", "set", "--team", "other"], environment: environment)
            #expect(missingLimit.status == 65 && missingLimit.stderr.contains("give --limit"))
        }
    }

    // MARK: 6. The demo keeps its hands off real ledgers

    @Test("demo --ledger refuses a ledger it did not create and leaves it byte for byte; its own it may reuse")
    func demoRefusesRealLedgers() async throws {
        try await Self.withSetup { _, ledger, environment in
            #expect(try await runCLI(["budget", "set", "--all", "--limit", "5", "--enforcement", "soft"], environment: environment).status == 0)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: ledger))
            let refused = try await offThePool { try runCLIBlocking(["demo", "--delay", "0", "--ledger", ledger]) }
            #expect(refused.status == 64 && refused.stderr.contains("did not create"), "\(refused.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: ledger)) == bytes)
            let own = URL(fileURLWithPath: ledger).deletingLastPathComponent().appendingPathComponent("demo.sqlite").path
            let first = try await offThePool { try runCLIBlocking(["demo", "--delay", "0", "--ledger", own]) }
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("kling-ledger list --ledger \(own)"))
            let listed = try await runCLI(["list", "--ledger", own])
            #expect(listed.status == 0 && listed.stdout.contains("succeeded"), "the advice it prints works")
            #expect(try Ledger(path: own, access: .read).alertTargets().isEmpty, "no target left pointing at the stopped sandbox")
        }
    }

    @Test("The demo without --ledger leaves no folder behind, and says how to keep one")
    func demoCleansUp() async throws {
        // A temporary folder of its own, so that other tests' demos cannot be mistaken for this one's.
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("cli-demo-tmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }
        let result = try await offThePool { try runCLIBlocking(["demo", "--delay", "0"], environment: ["TMPDIR": temporary.path]) }
        #expect(result.status == 0)
        #expect(result.stdout.contains("kling-ledger demo --ledger demo.sqlite"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty, "nothing left behind")
    }

    // MARK: 13 and the smaller things

    @Test("A bare submit, an over-long prompt and an unknown model leave no ledger rows; a budget refusal stays recorded")
    func invalidLeavesNoRows() async throws {
        try await Self.withSetup { sandbox, ledger, environment in
            for arguments in [["submit"], ["submit", "--prompt", String(repeating: "a", count: 2501)], ["submit", "--prompt", "x", "--model", "kling-v9"]] {
                let result = try await runCLI(arguments, environment: environment)
                #expect(result.status == 64, "\(result.stderr)")
            }
            #expect(try await runCLI(["budget", "set", "--all", "--limit", "0.01"], environment: environment).status == 0)
            #expect(try await runCLI(["submit", "--prompt", "x"], environment: environment).status == 3)
            let rows = try Ledger(path: ledger, access: .read).submissions()
            #expect(rows.map(\.state) == [.rejected], "only the budget refusal")
            #expect(sandbox.requests.isEmpty)
        }
    }

    @Test("list filters by provider, time and count, and --month uses the ledger's time zone; --version; targets told apart")
    func smallThings() async throws {
        try await Self.withSetup { sandbox, ledger, environment in
            for provider in ["kling", "pixazo", "kling"] {
                let arguments = ["submit", "--provider", provider, "--prompt", "x"] + (provider == "kling" ? ["--model", "kling-v1"] : [])
                #expect(try await offThePool { try runCLIBlocking(arguments, environment: environment) }.status == 0)
            }
            let kling = try await runCLI(["list", "--provider", "kling", "--json"], environment: environment)
            #expect((kling.jsonArray ?? []).count == 2)
            #expect((try await runCLI(["list", "--limit", "1", "--json"], environment: environment).jsonArray ?? []).count == 1)
            #expect((try await runCLI(["list", "--until", "2000-01-01", "--json"], environment: environment).jsonArray ?? [1]).isEmpty)
            // In Pacific/Kiritimati (UTC+14) "now" may fall in the next calendar month than in UTC;
            // list --month must agree with the reports' month, which is the ledger's.
            let store = try Ledger(path: ledger)
            let created = try #require(try store.submissions().first?.createdAt)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let month = String(format: "%04d-%02d", calendar.component(.year, from: created), calendar.component(.month, from: created))
            #expect((try await runCLI(["list", "--month", month, "--json"], environment: environment).jsonArray ?? []).count == 3)

            // In UTC+14, 2026-11-30T12:00Z is already December: list --month counts it where the
            // reports and budgets do, in the ledger's time zone.
            let zoned = URL(fileURLWithPath: ledger).deletingLastPathComponent().appendingPathComponent("zoned.sqlite").path
            let kiritimati = try Ledger(path: zoned)
            try kiritimati.setTimeZone(try #require(TimeZone(identifier: "Pacific/Kiritimati")))
            let job = BillableJob(provider: .pixazo, kind: .text2video, model: nil, mode: nil, durationSeconds: 5, sound: false)
            let quote = QuotedPrice(amount: USD(micros: 350_000), units: nil, unitPrice: nil, unitPriceSource: nil, table: "pixazo.json", version: "v", rule: "r")
            _ = try kiritimati.reserve(
                NewSubmission(id: "kl-late", idempotencyKey: "kl-late", job: job, quote: quote, state: .pending),
                at: try #require(Date(iso8601OrDay: "2026-11-30T12:00:00Z")))
            #expect((try await runCLI(["list", "--month", "2026-12", "--json", "--ledger", zoned]).jsonArray ?? []).count == 1)
            #expect((try await runCLI(["list", "--month", "2026-11", "--json", "--ledger", zoned]).jsonArray ?? [1]).isEmpty)

            let help = try await runCLI(["submit", "--help"])
            #expect(!help.stdout.contains("--at <date>"), "submit is priced when it is made")
            #expect(help.stdout.contains("--ledger <path-or-url>") && help.stdout.contains("--extend <submission-id>"))

            let version = try await runCLI(["--version"])
            #expect(version.status == 0 && version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
            for name in ["one", "two"] {
                #expect(try await runCLI(["alerts", "target", "add", "--webhook", sandbox.webhookURL(name)], environment: environment).status == 0)
            }
            let targets = try await runCLI(["alerts", "target", "list", "--json"], environment: environment).jsonArray ?? []
            let shown = targets.compactMap { ($0 as? [String: Any])?["webhook"] as? String }
            #expect(shown.count == 2 && Set(shown).count == 2, "two targets on one host are told apart: \(shown)")
            #expect(!shown.contains { $0.contains("/webhooks/") })
        }
    }
}

extension CLIResult {
    /// Standard output parsed as a JSON array.
    var jsonArray: [Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [Any]
    }
}
