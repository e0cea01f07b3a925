import Foundation
import KlingAPI
import KlingCore
import Ledger
import Prometheus

/// What `/metrics` shows, in Prometheus's text format: requests by route and status, upstream
/// latency, creates by outcome, and each budget's money (integer micro-dollars, as the ledger
/// keeps it) read from the ledger at each scrape. Labels carry routes, outcomes and budget
/// names — never a credential, a key id's secret or a prompt.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let upstreamLatency: DurationHistogram

    init() {
        upstreamLatency = registry.makeDurationHistogram(
            name: "kling_ledger_upstream_request_seconds",
            buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5), .seconds(30)],
            help: "Time for one request to a provider, answer included")
    }

    /// One answered request; `route` is the route pattern, not the path (task ids stay out).
    func request(route: String, status: Int) {
        registry.makeCounter(
            name: "kling_ledger_gateway_requests_total", labels: [("route", route), ("status", String(status))],
            help: "Requests answered, by route and HTTP status"
        ).increment()
    }

    /// What the gate did with one create.
    func create(outcome: String, held: Int64 = 0) {
        registry.makeCounter(
            name: "kling_ledger_gateway_creates_total", labels: [("outcome", outcome)], help: "Creates by what the gate decided"
        ).increment()
        if held > 0 {
            registry.makeCounter(
                name: "kling_ledger_gateway_held_micros_total", help: "Money held for accepted creates, in micro-dollars"
            ).increment(by: held)
        }
    }

    /// The text for a scrape, with every budget's figures read now.
    func scrape(budgets: [BudgetStatus]) -> [UInt8] {
        for budget in budgets {
            let labels = [("budget", budget.name), ("enforcement", budget.spec.enforcement.rawValue)]
            registry.makeGauge(name: "kling_ledger_budget_limit_micros", labels: labels, help: "Each budget's limit").set(budget.spec.limit.micros)
            registry.makeGauge(name: "kling_ledger_budget_charged_micros", labels: labels, help: "Charged in the budget's current period")
                .set(budget.charged.micros)
            registry.makeGauge(name: "kling_ledger_budget_held_micros", labels: labels, help: "Held for open tasks in the current period")
                .set(budget.held.micros)
            // A display ratio for dashboards and alert rules (Prometheus values are floats);
            // derived from the integer figures above and never fed back into any amount.
            let utilisation = budget.spec.limit.micros > 0 ? Double(budget.used.micros) / Double(budget.spec.limit.micros) : 0
            registry.makeGauge(
                name: "kling_ledger_budget_utilisation_ratio", labels: labels, help: "(charged + held) / limit, for alerting on a ratio"
            ).set(utilisation)
        }
        return registry.emitToBuffer()
    }
}

/// A transport that times each exchange with a provider for the upstream latency histogram.
struct MeasuredTransport: HTTPTransport {
    let inner: any HTTPTransport
    let histogram: DurationHistogram

    func send(_ request: TransportRequest) async throws(TransportError) -> WireResponse {
        let clock = ContinuousClock()
        let start = clock.now
        defer { histogram.record(clock.now - start) }
        return try await inner.send(request)
    }
}
