import Foundation
import KlingCore
import LedgerTestSupport
import Testing

@testable import Ledger

@Suite("Budget alerts")
struct AlertTests {
    static let november15 = Date(timeIntervalSince1970: 1_793_491_200 + 14 * 86_400)  // 2026-11-15T00:00:00Z

    static func job(_ id: String, micros: Int64 = 350_000, team: String = "video") -> NewSubmission {
        pendingSubmission(id, micros: micros, team: team)
    }

    @Test("each threshold alerts once per period, when charged + held first reaches it; settling does not repeat it", arguments: LedgerBackend.all)
    func thresholdsOnce(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger in
            let at = Self.november15.addingTimeInterval(-13 * 86_400)  // early in the month: no forecast
            try ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 1_000_000), enforcement: .soft), at: at)
            _ = try ledger.reserve(Self.job("a"), at: at)  // 35 %
            #expect(try ledger.alerts().isEmpty)
            _ = try ledger.reserve(Self.job("b"), at: at)  // 70 %
            #expect(try ledger.alerts().map(\.percent) == [50])
            _ = try ledger.reserve(Self.job("c"), at: at)  // 105 %: 80 and 100 at once
            #expect(try ledger.alerts().map(\.percent).sorted() == [50, 80, 100])
            try ledger.settle("a", .succeeded(cost: USD(micros: 350_000), finalUnitDeduction: nil, videos: [], note: ""), at: at)
            try ledger.settle("b", .failed(message: "blocked"), at: at)
            _ = try ledger.reserve(Self.job("d"), at: at)
            let alerts = try ledger.alerts()
            #expect(alerts.count == 3)
            let eighty = try #require(alerts.first { $0.percent == 80 })
            let facts = try #require(eighty.budget)
            #expect(eighty.kind == .threshold && facts.submissionID == "c" && facts.entryKind == .hold)
            #expect(facts.charged == .zero && facts.held == USD(micros: 1_050_000) && facts.limit == USD(micros: 1_000_000))
            #expect(eighty.message == "Budget 1 (team video, monthly) crossed 80 % in 2026-11: $1.05 used of $1.00 (105 %: charged $0.00, held $1.05); raised by a $0.35 hold for submission c")

            // The next month is a new period: its thresholds alert again.
            let december = Self.november15.addingTimeInterval(17 * 86_400)
            _ = try ledger.reserve(Self.job("e", micros: 600_000), at: december)
            #expect(try ledger.alerts().filter { $0.periodLabel == "2026-12" }.map(\.percent) == [50])
        }
    }

    @Test("concurrent submitters crossing 80 % raise exactly one 80 % alert", arguments: LedgerBackend.all)
    func concurrentCrossing(_ backend: LedgerBackend) async throws {
        try withLedgerPath(backend) { path throws in
            let ledger = try Ledger(path: path)
            try ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 1_000_000)))
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 8) { writer in
                do {
                    let own = try Ledger(path: path)
                    for index in 0..<5 { _ = try own.reserve(Self.job("w\(writer)-\(index)", micros: 30_000)) }
                } catch {
                    failures.add("\(error)")
                }
            }
            #expect(failures.all.isEmpty)
            let thresholds = try ledger.alerts().filter { $0.kind == .threshold }
            #expect(thresholds.filter { $0.percent == 80 }.count == 1)
            #expect(thresholds.map(\.percent).sorted() == [50, 80])
            // 40 × $0.03 = $1.20 asked of a hard $1.00 limit: exactly 33 fit, so 100 % is never reached.
            #expect(try ledger.budgets().first?.used == USD(micros: 990_000))
        }
    }

    @Test("a forecast alert says when the burn rate reaches the limit, once per period, and never from one early job", arguments: LedgerBackend.all)
    func forecast(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger in
            let start = Date(timeIntervalSince1970: 1_793_491_200)
            try ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 10_000_000), thresholds: [90]), at: start)
            // Day one: 40 % already, but a tenth of the month has not passed: no forecast yet.
            _ = try ledger.reserve(Self.job("early", micros: 4_000_000), at: start.addingTimeInterval(3600))
            #expect(try ledger.alerts().isEmpty)
            // After 15 days (half the month), 60 % used: the limit is reached at 25 days, before the end.
            _ = try ledger.reserve(Self.job("mid", micros: 2_000_000), at: start.addingTimeInterval(15 * 86_400))
            let alerts = try ledger.alerts()
            #expect(alerts.count == 1)
            let forecast = try #require(alerts.first)
            #expect(forecast.kind == .forecast)
            #expect(forecast.projectedAt == start.addingTimeInterval(25 * 86_400))
            #expect(forecast.message.contains("is on course to reach its limit on 2026-11-26 (the period ends 2026-12-01)"))
            _ = try ledger.reserve(Self.job("more", micros: 100_000), at: Self.november15.addingTimeInterval(60))
            #expect(try ledger.alerts().count == 1)
        }
    }

    @Test("the outbox: queued for the targets that want it, leased to one sender, retried on schedule, never resent once delivered", arguments: LedgerBackend.all)
    func outbox(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger in
            let at = Self.november15.addingTimeInterval(-13 * 86_400)
            let all = try ledger.addAlertTarget(.url("http://127.0.0.1:9/all"), team: nil, format: .json, at: at)
            let video = try ledger.addAlertTarget(.environment("VIDEO_HOOK"), team: "video", format: .slack, at: at)
            _ = try ledger.addAlertTarget(.url("http://127.0.0.1:9/research"), team: "research", format: .slack, at: at)
            try ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 1_000_000), thresholds: [50]), at: at)
            _ = try ledger.reserve(Self.job("a", micros: 600_000), at: at)

            let claimed = try ledger.claimDeliveries(at: at)
            #expect(Set(claimed.map(\.target.id)) == [all.id, video.id])
            #expect(try ledger.claimDeliveries(at: at).isEmpty, "leased: a second sender gets nothing")
            let first = try #require(claimed.first { $0.target.id == all.id })
            try ledger.recordDelivered(first, at: at)
            let second = try #require(claimed.first { $0.target.id == video.id })
            try ledger.recordDeliveryFailed(second, reason: "the target answered HTTP 503", retryAt: at.addingTimeInterval(30))
            #expect(try ledger.claimDeliveries(at: at.addingTimeInterval(10)).isEmpty, "not due yet")
            let retried = try ledger.claimDeliveries(at: at.addingTimeInterval(31))
            #expect(retried.map(\.target.id) == [video.id])
            #expect(retried.first?.attempts == 2)
            try ledger.recordDelivered(try #require(retried.first), at: at.addingTimeInterval(31))
            #expect(try ledger.claimDeliveries(at: at.addingTimeInterval(99_999), ignoringSchedule: true).isEmpty)
            #expect(try ledger.deliveries(ofAlerts: [first.alert.id]).allSatisfy { $0.state == "delivered" })

            // A lease that runs out (its sender died) makes the delivery claimable again.
            _ = try ledger.reserve(Self.job("b", micros: 600_000, team: "research"), at: at)
            try ledger.setBudget(BudgetSpec(scope: .team("research"), period: .month, limit: USD(micros: 1_000_000), thresholds: [50]), at: at)
            _ = try ledger.reserve(Self.job("c", micros: 10_000, team: "research"), at: at)
            #expect(try ledger.claimDeliveries(at: at).count == 2, "the research alert goes to 'all' and 'research'")
            #expect(try ledger.claimDeliveries(at: at.addingTimeInterval(61)).count == 2)
        }
    }

    @Test("webhook addresses: checked, and never shown with their path")
    func addresses() throws {
        let one = WebhookAddress.url("https://hooks.slack.com/services/T0/B0/secret").redacted
        let other = WebhookAddress.url("https://hooks.slack.com/services/T0/B0/another").redacted
        #expect(one.hasPrefix("https://hooks.slack.com/… #") && !one.contains("secret") && !one.contains("services"))
        #expect(one != other, "two webhooks on one host are told apart")
        #expect(WebhookAddress.environment("HOOK").redacted == "$HOOK")
        #expect(throws: AlertTargetError.credentialsInURL) { try WebhookAddress.check("https://user:pw@example.com/x") }
        #expect(throws: AlertTargetError.notAWebhookURL) { try WebhookAddress.check("ftp://example.com") }
        #expect(throws: AlertTargetError.variableUnset("NOPE")) { try WebhookAddress.environment("NOPE").resolve(in: [:]) }
        #expect(try WebhookAddress.environment("HOOK").resolve(in: ["HOOK": "http://127.0.0.1:1/x"]).absoluteString == "http://127.0.0.1:1/x")
    }
}
