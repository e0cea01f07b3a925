import Foundation
import KlingCore
import KlingSandbox
import LedgerTestSupport
import Ledger
import Testing

/// The edges a user meets, run as a user would: separate `kling-ledger` processes.
@Suite("kling-ledger at the edges", .serialized)
struct HardeningCLITests {
    static func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-edges-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    // MARK: 11. One exit-code table, one invocation per row

    /// Each row: the code, and how to get it. Code 1 ("an unexpected error: a bug") has no row:
    /// no invocation reaches it on purpose.
    @Test("Every documented exit code, by an invocation that should end with it")
    func exitCodeTable() async throws {
        let sandbox = try await Sandbox.start(delay: .seconds(20), credentials: .random())
        defer { Task { await sandbox.stop() } }
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        var environment = sandbox.environment
        environment["KLING_LEDGER_DB"] = ledger
        let notALedger = folder.appendingPathComponent("notes.txt")
        try Data("hello".utf8).write(to: notALedger)
        let image = folder.appendingPathComponent("missing.png").path

        func run(_ arguments: [String], _ extra: [String: String] = [:], before: () -> Void = {}) async throws -> CLIResult {
            before()
            let env = environment.merging(extra) { $1 }
            return try await offThePool { try runCLIBlocking(arguments, environment: env) }
        }
        var seen: [Int32: String] = [:]
        func expect(_ code: Int32, _ result: CLIResult, _ what: String) {
            #expect(result.status == code, "\(what): exit \(result.status), \(result.stderr)\(result.stdout)")
            seen[code] = what
        }

        expect(0, try await run(["quote", "--duration", "5"]), "a quote")
        expect(64, try await run(["submit", "--prompt", ""]), "an empty prompt")
        expect(64, try await run(["submit", "--kind", "image2video", "--image", image, "--prompt", "x"]), "an image that is neither file nor URL")
        expect(64, try await run(["submit", "--camera", "simple", "--camera-axis", "zoom=abc", "--prompt", "x"]), "a camera axis that is no number")
        expect(66, try await run(["list", "--ledger", folder.appendingPathComponent("typo/ledger.sqlite").path]), "a ledger that does not exist")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("typo").path), "no folder was created")
        expect(74, try await run(["list", "--ledger", notALedger.path]), "a file that is not a ledger")
        let directory = try await run(["list", "--ledger", folder.path])
        #expect(directory.status == 74 && directory.stderr.contains("\(folder.path) is a folder, not a ledger file"))
        #expect(!directory.stderr.contains("SQLite"), "no raw SQLite error")
        expect(78, try await run(["submit", "--prompt", "x"], ["KLING_ACCESS_KEY": "", "KLING_SECRET_KEY": ""]), "no credential")
        expect(77, try await run(["submit", "--prompt", "x"], ["KLING_SECRET_KEY": "wrong"]), "a credential the provider refuses")
        expect(0, try await run(["budget", "set", "--team", "tiny", "--limit", "0.01"]), "a budget")
        expect(3, try await run(["submit", "--prompt", "x", "--team", "tiny"]), "refused by a budget")
        expect(65, try await run(["status", "kl-nope"]), "an unknown submission")
        expect(65, try await run(["budget", "show", "99"]), "an unknown budget")
        expect(69, try await run(["submit", "--provider", "pixazo", "--prompt", "x"]) { sandbox.inject(.serverError(status: 400), provider: .pixazo) },
               "the provider refused to create it")
        expect(75, try await run(["submit", "--prompt", "x", "--wait", "--timeout", "1"]), "--wait timed out")
        expect(75, try await run(["submit", "--provider", "pixazo", "--prompt", "x"]) { sandbox.inject(.dropAfterCreate, provider: .pixazo) },
               "the answer was lost")
        expect(5, try await run(["sync", "--pending-grace", "0"]), "sync left a submission for a person")
        let lost = try #require(try Ledger(path: ledger, access: .read).submissions(state: .unknown).first)
        #expect(try await run(["resolve", lost.id, "--failed", "--note", "checked"]).status == 0)
        expect(65, try await run(["resolve", lost.id, "--failed"]), "resolving a settled submission")
        let fast = try await Sandbox.start(delay: .milliseconds(300), credentials: sandbox.credentials)
        defer { Task { await fast.stop() } }
        fast.inject(.failTask(message: "1301: blocked"), provider: .kling)
        // Another ledger: the second sandbox numbers its tasks from 1 again.
        let other = folder.appendingPathComponent("other.sqlite").path
        expect(4, try await run(["submit", "--prompt", "x", "--wait"], ["KLING_BASE_URL": fast.baseURL, "KLING_LEDGER_DB": other]), "the task failed")
        try fast.createTasksElsewhere(1)
        try await Task.sleep(for: .milliseconds(500))
        expect(6, try await run(["reconcile", "--provider", "kling"], ["KLING_BASE_URL": fast.baseURL, "KLING_LEDGER_DB": other]), "the bill disagrees")
        let sentBefore = try Ledger(path: ledger, access: .read).submissions(state: .submitted).count
        let waiting = environment
        let interrupted = try await offThePool { () -> CLIResult in
            try signalDuringWait(["submit", "--prompt", "x", "--wait"], environment: waiting, signal: SIGINT) {
                ((try? Ledger(path: ledger, access: .read).submissions(state: .submitted).count) ?? 0) > sentBefore
            }
        }
        expect(130, interrupted, "interrupted")

        let documented = Set(try readmeExitCodes())
        #expect(documented == Set(seen.keys).union([1]), "the README's table lists exactly the codes the tool uses")
    }

    /// The codes in the README's exit-code table.
    private func readmeExitCodes() throws -> [Int32] {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        guard let start = text.range(of: "| exit | meaning |") else { return [] }
        return text[start.upperBound...].split(separator: "\n").dropFirst().prefix { $0.hasPrefix("|") }.compactMap { line in
            Int32(line.split(separator: "|").first?.trimmingCharacters(in: .whitespaces) ?? "")
        }
    }

    // MARK: 3. Interrupted senders

    @Test("Ctrl-C while waiting says where the submission stands, exits 130, and the advice it prints settles it")
    func interruptWhileWaiting() async throws {
        let sandbox = try await Sandbox.start(delay: .seconds(3), credentials: .random())
        defer { Task { await sandbox.stop() } }
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let environment = sandbox.environment.merging(["KLING_LEDGER_DB": ledger]) { $1 }
        let result = try await offThePool {
            try signalDuringWait(["submit", "--prompt", "a fox", "--model", "kling-v1", "--wait"], environment: environment, signal: SIGINT) {
                (try? Ledger(path: ledger, access: .read).submissions(state: .submitted).isEmpty) == false
            }
        }
        #expect(result.status == 130)
        #expect(result.stdout.contains("Interrupted while waiting"), "\(result.stdout)")
        #expect(result.stdout.contains("`kling-ledger sync` settles it"))
        try await syncUntilNothingOpen(environment)
        let record = try #require(try Ledger(path: ledger, access: .read).submissions().only)
        #expect(record.state == .succeeded && record.balance.held == .zero)
        // The provider's video ids, which an extension names, are shown.
        let status = try await runCLI(["status", record.id, "--json"], environment: environment)
        #expect((status.json?["video_ids"] as? [String])?.isEmpty == false)
        #expect(try await runCLI(["status", record.id], environment: environment).stdout.contains("video \(record.videoIDs.first ?? "?") "))
    }

    @Test("SIGTERM while sending: exit 130, the hold kept as unknown, and sync finds the task was never created")
    func terminateWhileSending() async throws {
        let sandbox = try await Sandbox.start(delay: .seconds(1), credentials: .random())
        defer { Task { await sandbox.stop() } }
        sandbox.inject(.hang(.seconds(5)), provider: .kling)
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let environment = sandbox.environment.merging(["KLING_LEDGER_DB": ledger]) { $1 }
        let result = try await offThePool {
            try signalDuringWait(["submit", "--prompt", "a fox", "--model", "kling-v1"], environment: environment, signal: SIGTERM) {
                !sandbox.requests.isEmpty
            }
        }
        #expect(result.status == 130)
        #expect(result.stdout.contains("Interrupted while sending"), "\(result.stdout)")
        #expect(try Ledger(path: ledger, access: .read).submissions().only?.state == .unknown)
        try await syncUntilNothingOpen(environment)
        let record = try #require(try Ledger(path: ledger, access: .read).submissions().only)
        #expect(record.state == .sendFailed && record.balance == MoneyBalance(held: .zero, charged: .zero))
    }

    // MARK: The process test: killed at random points, then sync and resolve as advised

    @Test(
        "Pixazo and official submits SIGKILLed at random points (after the hold, during the create, while waiting), then sync and resolve as the tool advises: nothing held, charges equal the provider's billing",
        arguments: LedgerBackend.all)
    func killedAtRandom(_ backend: LedgerBackend) async throws {
        let sandbox = try await Sandbox.start(delay: .seconds(1), credentials: .random())
        defer { Task { await sandbox.stop() } }
        try await backend.withScratchLocation { ledger in try await killedAtRandom(sandbox: sandbox, ledger: ledger) }
    }

    private func killedAtRandom(sandbox: Sandbox, ledger: String) async throws {
        let environment = sandbox.environment.merging(["KLING_LEDGER_DB": ledger]) { $1 }
        var generator = SystemRandomNumberGenerator()
        enum Moment: CaseIterable { case beforeSend, duringCreate, duringWait }
        var plan: [(Provider, Moment)] = []
        for provider in [Provider.pixazo, .kling] { for moment in Moment.allCases { plan.append((provider, moment)) } }
        plan += (0..<4).map { _ in (Bool.random(using: &generator) ? .pixazo : .kling, Moment.allCases.randomElement(using: &generator) ?? .duringWait) }

        // What the operator sees on the provider's dashboard: which submission made which task.
        var taskOf: [String: SandboxTask] = [:]
        for (index, (provider, moment)) in plan.enumerated() {
            let before = sandbox.tasks.count
            let requestsBefore = sandbox.requests.count
            let sentBefore = (try? Ledger(path: ledger, access: .read).submissions().filter { $0.providerTaskID != nil }.count) ?? 0
            switch moment {
            case .beforeSend: sandbox.inject(.hang(.seconds(3)), provider: provider)
            case .duringCreate: sandbox.inject(.slowAnswer(.seconds(3)), provider: provider)
            case .duringWait: break
            }
            var arguments = ["submit", "--provider", provider.rawValue, "--prompt", "job \(index)"]
            if provider == .kling { arguments += ["--model", "kling-v1"] }
            if moment == .duringWait { arguments.append("--wait") }
            let command = arguments
            let id = try await offThePool {
                try killDuringRun(command, environment: environment) {
                    switch moment {
                    case .beforeSend: sandbox.requests.count > requestsBefore
                    case .duringCreate: sandbox.tasks.count > before
                    case .duringWait: ((try? Ledger(path: ledger, access: .read).submissions().filter { $0.providerTaskID != nil }.count) ?? 0) > sentBefore
                    }
                } ledger: { try? Ledger(path: ledger, access: .read).submissions().last?.id }
            }
            if sandbox.tasks.count > before, let id { taskOf[id] = sandbox.tasks.last }
            try await Task.sleep(for: .milliseconds(50))
        }

        // Follow the tool's advice until nothing is open.
        for _ in 0..<40 {
            let sync = try await offThePool { try runCLIBlocking(["sync", "--pending-grace", "600", "--json"], environment: environment) }
            let changes = (try? JSONSerialization.jsonObject(with: Data(sync.stdout.utf8))) as? [[String: Any]] ?? []
            for change in changes where change["needs_person"] as? Bool == true {
                let id = try #require(change["id"] as? String)
                let note = change["note"] as? String ?? ""
                #expect(note.contains("kling-ledger resolve \(id)"), "the advice names the command: \(note)")
                let arguments: [String]
                if let task = taskOf[id] {
                    let cost = try #require(task.price ?? (try task.deductedUnits(at: .distantFuture)?.cost(at: USD(micros: 140_000))))
                    arguments = ["resolve", id, "--succeeded", "--cost", cost.decimalString, "--task-id", task.taskID, "--note", "on the bill"]
                } else {
                    arguments = ["resolve", id, "--failed", "--note", "not on the bill"]
                }
                let resolved = try await offThePool { try runCLIBlocking(arguments, environment: environment) }
                #expect(resolved.status == 0, "\(arguments): \(resolved.stderr)")
            }
            if sync.status == 0, changes.isEmpty { break }
            try await Task.sleep(for: .milliseconds(300))
        }

        let records = try Ledger(path: ledger, access: .read).submissions()
        #expect(records.count == plan.count)
        #expect(records.allSatisfy { !$0.isOpen && $0.balance.held == .zero }, "nothing held, nothing open")
        var billed: Int64 = 0
        for task in sandbox.tasks where task.failureMessage == nil {
            let units = try task.deductedUnits(at: .distantFuture)
            billed += try task.price?.micros ?? units.map { try $0.cost(at: USD(micros: 140_000)).micros } ?? 0
        }
        #expect(records.map(\.balance.charged.micros).reduce(0, +) == billed, "the ledger's charges equal the sandbox's own billing record")
    }

    // MARK: Helpers

    private func syncUntilNothingOpen(_ environment: [String: String]) async throws {
        for _ in 0..<40 {
            let sync = try await offThePool { try runCLIBlocking(["sync", "--pending-grace", "0"], environment: environment) }
            if sync.stdout.contains("Nothing open") { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        Issue.record("submissions stayed open")
    }
}

/// Starts `kling-ledger`, sends `signal` once `reached` says so, and returns what it printed.
func signalDuringWait(_ arguments: [String], environment: [String: String], signal: Int32, until reached: () -> Bool) throws -> CLIResult {
    let folder = FileManager.default.temporaryDirectory
    let process = try userProcess(arguments, in: folder, environment: environment)
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    for _ in 0..<300 where !reached() { Thread.sleep(forTimeInterval: 0.02) }
    kill(process.processIdentifier, signal)
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
}

/// Starts `kling-ledger`, SIGKILLs it once `reached` says so, and returns the id of the
/// submission it left (read from the ledger).
func killDuringRun(_ arguments: [String], environment: [String: String], until reached: () -> Bool, ledger: () -> String?) throws -> String? {
    let process = try userProcess(arguments, in: FileManager.default.temporaryDirectory, environment: environment)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    for _ in 0..<300 where !reached() { Thread.sleep(forTimeInterval: 0.02) }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    return ledger()
}
