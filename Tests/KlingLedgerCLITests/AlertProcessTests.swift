import Foundation
import KlingCore
import KlingSandbox
import Ledger
import Testing

/// Alerts as users get them: separate `kling-ledger` processes crossing thresholds at once.
/// Part of the gate's serialized process suite, so two crowds of processes never compete.
extension GateProcessTests {
    @Test("eight processes crossing 80 % at once: one 80 % alert, and a webhook down at first receives each alert exactly once")
    func concurrentCrossing() async throws {
        let sandbox = try await Sandbox.start(delay: .seconds(30), credentials: .random())
        defer { Task { await sandbox.stop() } }
        let ledger = Self.ledgerPath()
        defer { removeFolder(of: ledger) }
        let environment = Self.environment(sandbox, ledger: ledger)
        #expect(try await offThePool { try runCLIBlocking(["budget", "set", "--team", "video", "--limit", "1.00"], environment: environment) }.status == 0)
        let added = try await offThePool { try runCLIBlocking(["alerts", "target", "add", "--webhook", sandbox.webhookURL("video"), "--team", "video", "--format", "json"], environment: environment) }
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("http://127.0.0.1:\(sandbox.port)/…") && !added.stdout.contains("/webhooks/"), "the URL's path is not shown")
        sandbox.takeWebhooksDown(forNext: 2)

        try await offThePool {
            DispatchQueue.concurrentPerform(iterations: 8) { index in
                _ = try? runCLIBlocking(["submit", "--prompt", "job \(index)", "--model", "kling-v1", "--mode", "std", "--team", "video"], environment: environment)
            }
        }
        let store = try Ledger(path: ledger)
        let alerts = try store.alerts()
        #expect(alerts.filter { $0.kind == .threshold && $0.percent == 80 }.count == 1)
        #expect(alerts.filter { $0.kind == .threshold }.map(\.percent).sorted() == [50, 80])

        let deliver = try await offThePool { try runCLIBlocking(["alerts", "deliver", "--retry-now"], environment: environment) }
        #expect(deliver.status == 0, "\(deliver.stdout)\(deliver.stderr)")
        let list = try await offThePool { try runCLIBlocking(["alerts", "list"], environment: environment) }
        #expect(list.stdout.contains("crossed 80 %"))
        #expect(list.stdout.components(separatedBy: ": delivered").count - 1 == alerts.count, "\(list.stdout)")

        let keys = sandbox.webhooks.compactMap(\.idempotencyKey)
        #expect(keys.count == alerts.count, "each alert exactly once: \(keys)")
        #expect(Set(keys) == Set(alerts.map { "kling-ledger-alert-\($0.id)" }))
        #expect(sandbox.refusedWebhooks == 2)
    }

    @Test("`alerts test` reaches a target; a target that is down exits 69 with the status and no URL")
    func testMessage() async throws {
        let sandbox = try await Sandbox.start(credentials: .random())
        defer { Task { await sandbox.stop() } }
        let ledger = Self.ledgerPath()
        defer { removeFolder(of: ledger) }
        let environment = Self.environment(sandbox, ledger: ledger).merging(["HOOK": sandbox.webhookURL("secret-path")]) { $1 }
        #expect(try await offThePool { try runCLIBlocking(["alerts", "target", "add", "--webhook-env", "HOOK"], environment: environment) }.status == 0)
        let ok = try await offThePool { try runCLIBlocking(["alerts", "test", "--target", "1"], environment: environment) }
        #expect(ok.status == 0 && ok.stdout.contains("accepted by target 1 ($HOOK)"), "\(ok.stdout)\(ok.stderr)")
        #expect(sandbox.webhooks.first?.name == "secret-path")
        sandbox.takeWebhooksDown(forNext: 1)
        let down = try await offThePool { try runCLIBlocking(["alerts", "test", "--target", "1"], environment: environment) }
        #expect(down.status == 69 && down.stderr.contains("HTTP 503") && !down.stderr.contains("secret-path"), "\(down.stderr)")
        let missing = try await offThePool { try runCLIBlocking(["alerts", "test", "--target", "7"], environment: environment) }
        #expect(missing.status == 65 && missing.stderr.contains("there is no alert target 7"))

        // The JSON format's test message carries a boolean and a number, not strings.
        #expect(try await offThePool {
            try runCLIBlocking(["alerts", "target", "add", "--webhook", sandbox.webhookURL("typed"), "--format", "json"], environment: environment)
        }.status == 0)
        #expect(try await offThePool { try runCLIBlocking(["alerts", "test", "--target", "2"], environment: environment) }.status == 0)
        let typed = try #require(sandbox.webhooks.last { $0.name == "typed" })
        let document = try #require(try JSONSerialization.jsonObject(with: typed.body) as? [String: Any])
        #expect(document["test"] as? Bool == true && !(document["test"] is String))
        #expect(document["target_id"] as? Int == 2 && !(document["target_id"] is String))
    }
}
