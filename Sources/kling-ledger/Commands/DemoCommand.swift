import ArgumentParser
import Foundation
import Gate
import KlingAPI
import KlingCore
import KlingSandbox
import Ledger
import Pricing

/// `kling-ledger demo`: the whole flow against the built-in sandbox, no credentials needed.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole flow against the built-in sandbox: budgets, submissions, a refusal, a failure, settlement.",
        discussion: """
            Starts the provider sandbox on 127.0.0.1, uses a fresh ledger in a temporary folder \
            (removed at the end), sets demo budgets, submits jobs to all four providers, waits for \
            them, settles them and prints the budgets, the alerts they raised and a summary. No \
            real provider is called and no credential is needed.

            To keep the ledger and look at it afterwards, give --ledger with a new path. The demo \
            refuses any existing ledger it did not create: it would change its budgets.
            """)

    @Option(help: ArgumentHelp("Keep the demo's ledger at this new path (or a ledger an earlier demo made).", valueName: "path"))
    var ledger: String?

    @Option(help: ArgumentHelp("Seconds each sandbox task takes.", valueName: "seconds"))
    var delay: Int = 2

    func validate() throws {
        guard (0...60).contains(delay) else { throw ValidationError("--delay must be 0 to 60 seconds") }
    }

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    private func execute() async throws {
        // Checked before anything starts: an existing ledger must be one a demo made.
        let kept = try ledger.map(Self.demoLedger)
        let folder = kept == nil ? try Self.temporaryFolder() : nil
        defer { if let folder { try? FileManager.default.removeItem(at: folder) } }
        let ledgerPath = kept?.path ?? folder?.appendingPathComponent("ledger.sqlite").path ?? ""
        let sandbox = try await Sandbox.start(delay: .seconds(delay))
        do {
            try await run(with: sandbox, ledgerPath: ledgerPath, kept: kept != nil)
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    /// The ledger at `path` for a demo: a new one, marked as the demo's, or one an earlier demo
    /// marked. Any other ledger is refused, untouched.
    static func demoLedger(_ path: String) throws -> Ledger {
        let existed = FileManager.default.fileExists(atPath: path)
        if existed {
            let found = try Ledger(path: path, access: .read)
            guard try found.setting(demoMark) == "demo" else {
                throw ValidationError(
                    "\(path) is an existing ledger the demo did not create: the demo would change its budgets and alert targets, so it "
                        + "was left untouched. Give --ledger a new path (e.g. --ledger demo.sqlite), or leave --ledger out")
            }
        }
        let ledger = try Ledger(path: path, access: .create)
        if !existed { try ledger.setSetting(demoMark, to: "demo") }
        return ledger
    }

    static let demoMark = "created_by"

    private func run(with sandbox: Sandbox, ledgerPath: String, kept: Bool) async throws {
        let environment = sandbox.environment
        let policy = ClientPolicy(polling: Backoff(first: .milliseconds(500), multiplier: 1.5, maximum: .seconds(2)))
        let gate = Gate(
            ledgerPath: ledgerPath, prices: try PriceBook.load(folder: nil),
            clients: { provider in KlingClient(account: try ProviderAccount.fromEnvironment(provider, environment: environment), policy: policy) },
            aceDataCallbackURL: sandbox.webhookURL("acedata-callbacks"))
        let ledger = try Ledger(path: ledgerPath)
        print("Sandbox providers on \(sandbox.baseURL); ledger \(kept ? ledgerPath : "in a temporary folder (removed at the end)")\n")

        print("Budgets:")
        for spec in [
            BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 2_000_000)),
            BudgetSpec(scope: .team("research"), period: .month, limit: USD(micros: 600_000)),
            BudgetSpec(scope: .all, period: .month, limit: USD(micros: 10_000_000), enforcement: .soft),
        ] {
            let status = try ledger.setBudget(spec)
            print("  budget \(status.id): \(status.name), \(spec.enforcement.rawValue), limit \(spec.limit.formatted)")
        }

        let target = try ledger.addAlertTarget(.url(sandbox.webhookURL("demo")), team: nil, format: .slack)
        print("  alerts go to a webhook in the sandbox (Slack format)")

        print("\nSubmitting:")
        for demo in Self.jobs {
            if demo.blocked { sandbox.inject(.failTask(message: "1301: blocked by the content safety check"), provider: demo.job.provider) }
            let result = try await gate.submit(SubmissionRequest(job: demo.job, team: demo.team, user: "demo"))
            let record = result.submission
            var line = "  \(record.id)  \(record.job.summary) for \(demo.team): \(record.state.rawValue)"
            if let quote = record.quote { line += ", quote \(quote.amount.formatted)" }
            if case .refusedByBudget(let refusal) = result.decision { line += "\n      \(refusal)" }
            print(line)
        }

        print("\nWaiting for the provider (sync every second):")
        let start = ContinuousClock.now
        while true {
            let changes = try await gate.sync(pendingGrace: .seconds(600))
            for change in changes where change.before.state != change.after.state {
                print("  \(change.before.id)  \(change.before.state.rawValue) → \(change.after.state.rawValue)  \(change.note)")
            }
            if try ledger.openSubmissions().isEmpty { break }
            guard ContinuousClock.now - start < .seconds(120) else {
                print(kept ? "  still open after 2 minutes; run `kling-ledger sync --ledger \(ledgerPath)` later" : "  still open after 2 minutes")
                break
            }
            try await Task.sleep(for: .seconds(1))
        }

        print("\nBudgets now:")
        print(BudgetText.table(try ledger.budgets()))
        let all = try ledger.submissions()
        let charged = all.reduce(Int64(0)) { $0 + $1.balance.charged.micros }
        let held = all.reduce(Int64(0)) { $0 + $1.balance.held.micros }
        let byState = Dictionary(grouping: all, by: \.state).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
        print("\nSummary: \(all.count) submissions (\(byState.joined(separator: ", "))); charged \(USD(micros: charged).formatted), still held \(USD(micros: held).formatted).")
        print("The sandbox created \(sandbox.tasks.count) tasks; refused and invalid jobs sent nothing.")

        let alerts = try ledger.alerts().reversed()
        print("\nAlerts (\(sandbox.webhooks.filter { $0.name == "demo" }.count) of \(alerts.count) delivered to the sandbox's webhook):")
        for alert in alerts { print("  \(alert.message)") }

        // The sandbox's webhook goes away with the demo: later alerts must not queue for it.
        try ledger.removeAlertTarget(id: target.id)
        if kept {
            print("\nInspect: kling-ledger list --ledger \(ledgerPath)   (or budget list, status ID, alerts list)")
            print("Report:  kling-ledger report monthly --ledger \(ledgerPath)   (or items, budgets, focus; `report` lists them)")
        } else {
            print("\nTo keep the ledger and look at it afterwards: kling-ledger demo --ledger demo.sqlite")
        }
    }

    struct DemoJob {
        let job: VideoJob
        let team: String
        var blocked = false
    }

    static let jobs: [DemoJob] = [
        DemoJob(job: VideoJob(provider: .kling, model: "kling-v2-5-turbo", mode: .pro, durationSeconds: 10, prompt: "a fox running through fresh snow"), team: "video"),
        DemoJob(job: VideoJob(provider: .pixazo, prompt: "a lighthouse at dusk, waves breaking"), team: "video"),
        DemoJob(job: VideoJob(provider: .acedata, model: "kling-v1-6", mode: .std, prompt: "a harbour at dawn", callbackURL: nil), team: "research"),
        DemoJob(job: VideoJob(provider: .kkiai, model: "kling-v1", mode: .std, prompt: "a glacier calving"), team: "research"),
        DemoJob(job: VideoJob(provider: .kling, model: "kling-v2-master", durationSeconds: 10, prompt: "a city timelapse"), team: "research"),
        DemoJob(job: VideoJob(provider: .kling, model: "kling-v1", mode: .std, prompt: "something the safety check blocks"), team: "video", blocked: true),
    ]

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kling-ledger-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
