import Foundation
import KlingCore
import KlingSandbox
import Ledger
import Testing

/// The gate as users run it: separate `kling-ledger` processes on one ledger file.
@Suite("Gate across processes", .serialized)
struct GateProcessTests {
    static func ledgerPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cli-gate-\(UUID().uuidString)/ledger.sqlite").path
    }

    static func environment(_ sandbox: Sandbox, ledger: String) -> [String: String] {
        sandbox.environment.merging(["KLING_LEDGER_DB": ledger]) { $1 }
    }

    @Test("Eight processes at once against a hard budget that fits exactly three: three accepted, five refused with exit 3, never over")
    func noOverspendUnderConcurrency() async throws {
        let sandbox = try await Sandbox.start(delay: .seconds(30), credentials: .random())
        defer { Task { await sandbox.stop() } }
        let ledger = Self.ledgerPath()
        defer { removeFolder(of: ledger) }
        let environment = Self.environment(sandbox, ledger: ledger)
        let set = try await runCLI(["budget", "set", "--team", "video", "--limit", "0.42"], environment: environment)
        #expect(set.status == 0, "\(set.stderr)")

        let results = Results()
        try await offThePool {
            DispatchQueue.concurrentPerform(iterations: 8) { index in
                let result = try? runCLIBlocking(
                    ["submit", "--prompt", "job \(index)", "--model", "kling-v1", "--mode", "std", "--team", "video", "--json"], environment: environment)
                results.append(result)
            }
        }
        let statuses = results.all.map { $0?.status ?? -1 }
        #expect(statuses.filter { $0 == 0 }.count == 3, "\(statuses) \(results.all.map { $0?.stderr ?? "" })")
        #expect(statuses.filter { $0 == 3 }.count == 5)
        #expect(sandbox.tasks.count == 3)

        let store = try Ledger(path: ledger)
        let budget = try #require(try store.budgets().first)
        #expect(budget.charged.micros + budget.held.micros <= budget.spec.limit.micros)
        #expect(budget.held == USD(micros: 420_000))
        let all = try store.submissions()
        #expect(all.filter { $0.state == .rejected }.count == 5)
        #expect(all.map(\.balance.held.micros).reduce(0, +) == 420_000)
    }

    @Test("Killed after the provider created the task, before its id was recorded: sync adopts and charges it exactly once")
    func killedAfterCreate() async throws {
        let sandbox = try await Sandbox.start(delay: .milliseconds(300), credentials: .random())
        defer { Task { await sandbox.stop() } }
        let ledger = Self.ledgerPath()
        defer { removeFolder(of: ledger) }
        let environment = Self.environment(sandbox, ledger: ledger)
        sandbox.inject(.slowAnswer(.seconds(60)), provider: .kling)
        try await killDuringSubmit(environment: environment) { sandbox.tasks.count == 1 }

        let store = try Ledger(path: ledger)
        #expect(try store.openSubmissions().only?.state == .pending, "the hold was committed before sending")
        try await syncUntilSettled(environment)
        try expectLedgerMatches(sandbox, store)
    }

    @Test("Killed after the hold, before the provider created anything: sync proves the task absent and releases the hold")
    func killedBeforeSend() async throws {
        let sandbox = try await Sandbox.start(delay: .milliseconds(300), credentials: .random())
        defer { Task { await sandbox.stop() } }
        let ledger = Self.ledgerPath()
        defer { removeFolder(of: ledger) }
        let environment = Self.environment(sandbox, ledger: ledger)
        sandbox.inject(.hang(.seconds(60)), provider: .kling)
        try await killDuringSubmit(environment: environment) { !sandbox.requests.isEmpty }

        let store = try Ledger(path: ledger)
        #expect(try store.openSubmissions().only?.balance.held == USD(micros: 140_000))
        try await syncUntilSettled(environment)
        #expect(sandbox.tasks.isEmpty)
        try expectLedgerMatches(sandbox, store)
        #expect(try store.submissions().only?.state == .sendFailed)
    }

    @Test("`kling-ledger demo` runs from nothing: budgets, a refusal, a failure, settlement and a summary")
    func demo() async throws {
        let result = try await runCLI(["demo", "--delay", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("refused by budget"))
        #expect(result.stdout.contains("failed: 1301"))
        #expect(result.stdout.contains("Summary: 6 submissions (1 failed, 1 rejected, 4 succeeded)"))
        #expect(result.stdout.contains("still held $0.00"))
    }

    @Test("The keys used in a run appear nowhere in the output or the SQLite file")
    func noSecretsInOutput() async throws {
        let credentials = SandboxCredentials.random()
        let sandbox = try await Sandbox.start(delay: .milliseconds(200), credentials: credentials)
        defer { Task { await sandbox.stop() } }
        let ledger = Self.ledgerPath()
        defer { removeFolder(of: ledger) }
        var environment = Self.environment(sandbox, ledger: ledger)
        environment["KLING_LEDGER_LOG_LEVEL"] = "trace"
        var output = ""
        for provider in ["kling", "pixazo", "acedata", "kkiai"] {
            let run = try await runCLI(["submit", "--provider", provider, "--prompt", "a fox", "--wait", "--json"] + (provider == "pixazo" ? [] : ["--model", "kling-v1"]), environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            output += run.stdout + run.stderr
        }
        var wrong = environment
        wrong["KLING_SECRET_KEY"] = "wrong-secret-\(UUID().uuidString)"
        let refused = try await runCLI(["submit", "--prompt", "x"], environment: wrong)
        #expect(refused.status == 77, "a refused credential")
        output += refused.stdout + refused.stderr
        #expect(output.contains("→ 200"), "requests were logged")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: ledger))
        for secret in credentials.all + [wrong["KLING_SECRET_KEY"] ?? ""] {
            #expect(!output.contains(secret))
            #expect(bytes.range(of: Data(secret.utf8)) == nil)
        }
        #expect(!output.contains("eyJ"), "no signed token in the output")
    }

    // MARK: Helpers

    /// Starts `submit`, waits until `reached` says the request got where it should, then
    /// kills the process with SIGKILL.
    private func killDuringSubmit(environment: [String: String], until reached: () -> Bool) async throws {
        let process = try userProcess(["submit", "--prompt", "a fox", "--model", "kling-v1", "--mode", "std"], in: FileManager.default.temporaryDirectory, environment: environment)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 where !reached() { try await Task.sleep(for: .milliseconds(50)) }
        #expect(reached(), "the request never reached the sandbox")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
    }

    private func syncUntilSettled(_ environment: [String: String]) async throws {
        for _ in 0..<30 {
            let sync = try await runCLI(["sync", "--pending-grace", "0"], environment: environment)
            #expect(sync.status == 0, "\(sync.stderr)")
            if sync.stdout.contains("Nothing open") { return }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Every task the sandbox created is charged once at its deduction × $0.14; nothing is held.
    private func expectLedgerMatches(_ sandbox: Sandbox, _ store: Ledger) throws {
        let records = try store.submissions()
        #expect(records.allSatisfy { $0.balance.held == .zero })
        let charged = records.filter { $0.balance.charged > .zero }
        #expect(charged.count == sandbox.tasks.count)
        for task in sandbox.tasks {
            let record = records.first { $0.providerTaskID == task.taskID }
            let units = try #require(task.deductedUnits(at: Date()))
            #expect(record?.balance.charged == (try units.cost(at: USD(micros: 140_000))))
        }
    }
}

final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [CLIResult?] = []
    func append(_ value: CLIResult?) { lock.lock(); values.append(value); lock.unlock() }
    var all: [CLIResult?] { lock.lock(); defer { lock.unlock() }; return values }
}

extension Collection {
    var only: Element? { count == 1 ? first : nil }
}
