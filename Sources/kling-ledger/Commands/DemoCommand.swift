import ArgumentParser
import Foundation
import Gate
import KlingAPI
import KlingCore
import KlingSandbox
import Ledger

/// `kling-ledger demo`: the whole flow against the built-in sandbox, no credentials needed.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole flow against the built-in sandbox: budgets, submissions, a refusal, a failure, settlement.",
        discussion: """
            Starts the provider sandbox on 127.0.0.1, uses a fresh ledger in a temporary folder \
            (or --ledger), sets demo budgets, submits jobs to all four providers, waits for them, \
            settles them and prints the budgets, the alerts they raised and a summary. No real provider is called and no \
            credential is needed.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Seconds each sandbox task takes.", valueName: "seconds"))
    var delay: Int = 2

    func validate() throws {
        guard (0...60).contains(delay) else { throw ValidationError("--delay must be 0 to 60 seconds") }
    }

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    private func execute() async throws {
        let sandbox = try await Sandbox.start(delay: .seconds(delay))
        do {
            try await run(with: sandbox)
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    private func run(with sandbox: Sandbox) async throws {
        let ledgerPath = try global.ledgerPath ?? Self.temporaryLedger()
        let environment = sandbox.environment
        let policy = ClientPolicy(polling: Backoff(first: .milliseconds(500), multiplier: 1.5, maximum: .seconds(2)))
        let gate = Gate(ledgerPath: ledgerPath, prices: try global.priceBook()) { provider in
            KlingClient(account: try ProviderAccount.fromEnvironment(provider, environment: environment), policy: policy)
        }
        let ledger = try Ledger(path: ledgerPath)
        print("Sandbox providers on \(sandbox.baseURL); ledger \(ledgerPath)\n")

        print("Budgets:")
        for spec in [
            BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 2_000_000)),
            BudgetSpec(scope: .team("research"), period: .month, limit: USD(micros: 600_000)),
            BudgetSpec(scope: .all, period: .month, limit: USD(micros: 10_000_000), enforcement: .soft),
        ] {
            let status = try ledger.setBudget(spec)
            print("  budget \(status.id): \(status.name), \(spec.enforcement.rawValue), limit \(spec.limit.formatted)")
        }

        try ledger.addAlertTarget(.url(sandbox.webhookURL("demo")), team: nil, format: .slack)
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
                print("  still open after 2 minutes; run `kling-ledger sync --ledger \(ledgerPath)` later")
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
        print("\nAlerts (\(sandbox.webhooks.count) of \(alerts.count) delivered to the sandbox's webhook):")
        for alert in alerts { print("  \(alert.message)") }

        print("\nInspect: kling-ledger list --ledger \(ledgerPath)   (or budget list, status ID, alerts list)")
        print("Report:  kling-ledger report monthly --ledger \(ledgerPath)   (or items, budgets, focus; `report` lists them)")
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

    static func temporaryLedger() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kling-ledger-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("ledger.sqlite").path
    }
}
