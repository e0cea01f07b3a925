import Foundation
import Gate
import KlingAPI
import KlingCore
import KlingSandbox
import Ledger
import LedgerTestSupport
import Pricing

/// A gate over a fresh ledger in a temporary folder, sending to a fresh sandbox.
struct GateFixture {
    let sandbox: Sandbox
    let gate: Gate
    let ledger: Ledger
    let folder: URL

    static func with<T>(
        backend: LedgerBackend = .sqlite, delay: Duration = .milliseconds(400), credentials: SandboxCredentials = .random(), maxRetries: Int = 0,
        _ body: (GateFixture) async throws -> T
    ) async throws -> T {
        try await backend.withScratchLocation { path in
            try await with(path: path, delay: delay, credentials: credentials, maxRetries: maxRetries, body)
        }
    }

    private static func with<T>(
        path: String, delay: Duration, credentials: SandboxCredentials, maxRetries: Int, _ body: (GateFixture) async throws -> T
    ) async throws -> T {
        let sandbox = try await Sandbox.start(delay: delay, credentials: credentials)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let environment = sandbox.environment
        let policy = ClientPolicy(
            maxRetries: maxRetries, polling: Backoff(first: .milliseconds(100), maximum: .milliseconds(300)), requestTimeout: .seconds(10),
            blockingCreateTimeout: .seconds(20))
        let gate = Gate(
            ledgerPath: path, prices: try PriceBook.load(environment: [:]),
            clients: { provider in KlingClient(account: try ProviderAccount.fromEnvironment(provider, environment: environment), policy: policy) },
            aceDataCallbackURL: sandbox.webhookURL("acedata-callbacks"))
        let fixture = GateFixture(sandbox: sandbox, gate: gate, ledger: try Ledger(path: path), folder: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            let result = try await body(fixture)
            await sandbox.stop()
            return result
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    /// Syncs until nothing is open (or 10 s pass).
    func syncUntilSettled() async throws {
        for _ in 0..<100 {
            _ = try await gate.sync(pendingGrace: .zero)
            if try ledger.openSubmissions().filter({ $0.state != .unknown }).isEmpty { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// kling-v1 std 5 s: 1 unit, $0.14 at list price.
func cheapJob(_ prompt: String = "a fox in the snow", provider: Provider = .kling) -> VideoJob {
    provider == .pixazo ? VideoJob(provider: .pixazo, prompt: prompt) : VideoJob(provider: provider, model: "kling-v1", mode: .std, prompt: prompt)
}

let cents14 = USD(micros: 140_000)
