import Foundation
import Gate
import KlingCore
import KlingSandbox
import Ledger
import LedgerTestSupport
import Testing

@Suite("Alert delivery")
struct AlertDeliveryTests {
    @Test("a webhook that is down for the first attempts receives each alert exactly once after it comes back", arguments: LedgerBackend.all)
    func webhookDownThenBack(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            // A total budget has no end, so no forecast: the alerts are the same whatever today's date.
            try fixture.ledger.setBudget(BudgetSpec(scope: .team("video"), period: .total, limit: USD(micros: 500_000)))
            try fixture.ledger.addAlertTarget(.url(fixture.sandbox.webhookURL("video")), team: "video", format: .json)
            fixture.sandbox.takeWebhooksDown(forNext: 4)
            for index in 0..<3 {
                let result = try await fixture.gate.submit(SubmissionRequest(job: cheapJob("job \(index)"), team: "video"), wait: true)
                #expect(result.submission.state == .succeeded)
            }
            let alerts = try fixture.ledger.alerts()
            #expect(alerts.map(\.percent).sorted() == [50, 80])
            #expect(fixture.sandbox.refusedWebhooks == 2, "the gate tried each alert right after committing")
            #expect(fixture.sandbox.webhooks.isEmpty)
            #expect(try fixture.ledger.deliveries(ofAlerts: alerts.map(\.id)).allSatisfy { $0.state.hasPrefix("retrying after 1 attempt") })

            // Before the retry is due nothing is sent; once it is, everything is, once.
            let courier = AlertCourier()
            #expect(try await courier.deliver(ledger: fixture.ledger, now: { Date().addingTimeInterval(5) }).isEmpty)
            // Still down at the first retry (due after 30 s): the next waits longer (60 s).
            let firstRetry = Date().addingTimeInterval(40)
            let stillDown = try await courier.deliver(ledger: fixture.ledger, now: { firstRetry })
            #expect(stillDown.count == 2 && stillDown.allSatisfy { $0.failure == "the target answered HTTP 503" })
            #expect(stillDown.allSatisfy { ($0.retryAt?.timeIntervalSince(firstRetry) ?? 0) > 59 }, "the second retry waits 60 s")
            #expect(try await courier.deliver(ledger: fixture.ledger, now: { Date().addingTimeInterval(80) }).isEmpty)
            #expect(fixture.sandbox.refusedWebhooks == 4)
            let attempts = try await courier.deliver(ledger: fixture.ledger, now: { Date().addingTimeInterval(3600) })
            #expect(attempts.count == alerts.count && attempts.allSatisfy { $0.failure == nil })
            #expect(try await courier.deliver(ledger: fixture.ledger, now: { Date().addingTimeInterval(99_999) }, ignoringSchedule: true).isEmpty)
            _ = try await fixture.gate.sync()

            let received = fixture.sandbox.webhooks
            #expect(received.count == alerts.count)
            #expect(Set(received.compactMap(\.idempotencyKey)) == Set(alerts.map { "kling-ledger-alert-\($0.id)" }))
            let eighty = try #require(received.compactMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }
                .first { $0["threshold_percent"] as? Int == 80 && $0["kind"] as? String == "threshold" })
            #expect(eighty["scope"] as? String == "team" && eighty["scope_value"] as? String == "video")
            #expect(eighty["limit_usd"] as? String == "0.50")
            #expect(eighty["used_usd"] as? String == "0.42")
            #expect(eighty["percent_used"] as? Int == 84)
            #expect((eighty["message"] as? String)?.contains("crossed 80 %") == true)
        }
    }

    @Test("the Slack format is one readable line in {\"text\": …}", arguments: LedgerBackend.all)
    func slackFormat(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            try fixture.ledger.setBudget(BudgetSpec(scope: .all, period: .month, limit: USD(micros: 200_000), thresholds: [50]))
            try fixture.ledger.addAlertTarget(.environment("TEST_HOOK"), team: nil, format: .slack)
            let courier = AlertCourier(environment: ["TEST_HOOK": fixture.sandbox.webhookURL("slack")])
            // The fixture's gate reads the process environment, where TEST_HOOK is unset: its
            // attempt fails and the courier below, given the variable, delivers.
            _ = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(), team: "video"))
            _ = try await courier.deliver(ledger: fixture.ledger, now: { Date().addingTimeInterval(3600) })
            let body = try #require(fixture.sandbox.webhooks.first { $0.name == "slack" }?.body)
            let text = try #require((try JSONSerialization.jsonObject(with: body) as? [String: String])?["text"])
            #expect(text.hasPrefix("Budget 1 (all, monthly) crossed 50 % in "))
            #expect(text.contains("$0.14 used of $0.20 (70 %: charged $0.00, held $0.14)"))
            #expect(!text.contains("\n"))
        }
    }
}
