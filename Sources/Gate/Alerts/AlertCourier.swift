import Foundation
import KlingAPI
import KlingCore
import Ledger

/// Delivers alerts from the ledger's outbox to their webhook targets.
///
/// Each delivery is leased in the ledger before it is posted, so concurrent processes never
/// post the same one; it is marked delivered only once the target answers 2xx, and retried with
/// growing delays (30 s, 1 min, 2 min, … up to an hour) otherwise. Posts carry an
/// `Idempotency-Key` header, so a target can also recognise a repeat after a lost answer.
public struct AlertCourier: Sendable {
    let transport: any HTTPTransport
    let environment: [String: String]
    let timeout: Duration

    /// - Parameters:
    ///   - environment: where `--webhook-env` targets' URLs are read from.
    ///   - timeout: how long one post may take.
    public init(
        transport: any HTTPTransport = AsyncHTTPTransport.shared,
        environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Duration = .seconds(10)
    ) {
        self.transport = transport
        self.environment = environment
        self.timeout = timeout
    }

    /// What happened to one delivery.
    public struct Attempt: Sendable {
        public let delivery: AlertDelivery
        /// `nil` when the target acknowledged it; else why not (never the URL).
        public let failure: String?
        /// When it is tried again, after a failure.
        public let retryAt: Date?
    }

    /// Posts every delivery that is due (every undelivered one if `ignoringSchedule`) and
    /// records each outcome.
    public func deliver(ledger: Ledger, now: @Sendable () -> Date = Date.init, ignoringSchedule: Bool = false) async throws -> [Attempt] {
        var attempts: [Attempt] = []
        while true {
            let claimed = try ledger.claimDeliveries(at: now(), ignoringSchedule: ignoringSchedule)
            if claimed.isEmpty { return attempts }
            for delivery in claimed {
                do {
                    try await post(body(for: delivery.alert, format: delivery.target.format), to: delivery.target, key: "kling-ledger-alert-\(delivery.alert.id)")
                    try ledger.recordDelivered(delivery, at: now())
                    attempts.append(Attempt(delivery: delivery, failure: nil, retryAt: nil))
                } catch {
                    let reason = (error as? any LocalizedError)?.errorDescription ?? "delivery failed"
                    let retryAt = now().addingTimeInterval(Self.retryDelay(afterAttempt: delivery.attempts))
                    try ledger.recordDeliveryFailed(delivery, reason: reason, retryAt: retryAt)
                    attempts.append(Attempt(delivery: delivery, failure: reason, retryAt: retryAt))
                }
            }
            // Deliveries just failed are not due again in this pass; with ignoringSchedule they
            // would be, so one pass is all.
            if ignoringSchedule { return attempts }
        }
    }

    /// Sends a test message to a target.
    public func sendTest(to target: AlertTarget) async throws {
        let text = "KlingLedger test message: budget alerts for \(target.team.map { "team \($0)" } ?? "every budget") will arrive here (target \(target.id))."
        let body: Data =
            switch target.format {
            case .slack: Self.encode(["text": text])
            case .json: Self.encode(TestDocument(test: true, message: text, target_id: target.id))
            }
        try await post(body, to: target, key: "kling-ledger-test-\(target.id)-\(UUID().uuidString)")
    }

    /// 30 s after the first failed attempt, doubling up to an hour.
    static func retryDelay(afterAttempt attempt: Int) -> TimeInterval {
        TimeInterval(min(30 << max(0, min(attempt - 1, 7)), 3600))
    }

    private func post(_ body: Data, to target: AlertTarget, key: String) async throws {
        let url = try target.address.resolve(in: environment)
        let request = TransportRequest(
            method: .post, url: url.absoluteString,
            headers: ["Content-Type": "application/json", "Idempotency-Key": key, "User-Agent": "kling-ledger"],
            body: body, timeout: timeout, maxResponseBytes: 64 * 1024)
        let response: WireResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw DeliveryError.transport(error)
        }
        guard (200..<300).contains(response.status) else { throw DeliveryError.refused(status: response.status) }
    }

    /// The message as the target's format wants it.
    func body(for alert: Alert, format: AlertFormat) -> Data {
        switch format {
        case .slack: return Self.encode(["text": alert.message])
        case .json: return Self.encode(AlertDocument(alert))
        }
    }

    private static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}

/// Why a webhook did not take an alert. Never holds the URL, which may be a secret.
enum DeliveryError: Error, LocalizedError {
    case refused(status: Int)
    case transport(TransportError)

    var errorDescription: String? {
        switch self {
        case .refused(let status): "the target answered HTTP \(status)"
        case .transport(.notSent): "could not connect to the target"
        case .transport(.answerLost): "no answer from the target (timed out or connection dropped)"
        case .transport(.answerTooLarge): "the target's answer was too large"
        case .transport(.cancelled): "cancelled"
        }
    }
}

/// The JSON format's test message: a boolean and a number, as a receiver parses them.
struct TestDocument: Encodable {
    let test: Bool
    let message: String
    let target_id: Int64
}

/// The JSON format's document: the budget, scope, period, threshold and amounts as exact
/// decimal strings.
struct AlertDocument: Encodable {
    let id: String
    let alertID: Int64
    let kind: String
    let thresholdPercent: Int
    let message: String
    let budgetID: Int64
    let scope: String
    let scopeValue: String?
    let period: String
    let periodLabel: String
    let periodStart: String?
    let periodEnd: String?
    let limitUSD: String
    let chargedUSD: String
    let heldUSD: String
    let usedUSD: String
    let percentUsed: Int64
    let projectedAt: String?
    let submissionID: String
    let raisedAt: String

    init(_ alert: Alert) {
        id = "kling-ledger-alert-\(alert.id)"
        alertID = alert.id
        kind = alert.kind.rawValue
        thresholdPercent = alert.percent
        message = alert.message
        budgetID = alert.budgetID
        (scope, scopeValue) = alert.scope.stored
        period = alert.period.rawValue
        periodLabel = alert.periodLabel
        periodStart = alert.periodStart.map(Timestamp.string)
        periodEnd = alert.periodEnd.map(Timestamp.string)
        limitUSD = alert.limit.decimalString
        chargedUSD = alert.charged.decimalString
        heldUSD = alert.held.decimalString
        usedUSD = alert.used.decimalString
        percentUsed = alert.percentUsed
        projectedAt = alert.projectedAt.map(Timestamp.string)
        submissionID = alert.submissionID
        raisedAt = Timestamp.string(alert.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, message, scope, period
        case alertID = "alert_id", thresholdPercent = "threshold_percent", budgetID = "budget_id", scopeValue = "scope_value"
        case periodLabel = "period_label", periodStart = "period_start", periodEnd = "period_end", limitUSD = "limit_usd"
        case chargedUSD = "charged_usd", heldUSD = "held_usd", usedUSD = "used_usd", percentUsed = "percent_used"
        case projectedAt = "projected_at", submissionID = "submission_id", raisedAt = "raised_at"
    }

    /// Every key always present: an absent value is `null`, never a missing key.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(alertID, forKey: .alertID)
        try container.encode(kind, forKey: .kind)
        try container.encode(thresholdPercent, forKey: .thresholdPercent)
        try container.encode(message, forKey: .message)
        try container.encode(budgetID, forKey: .budgetID)
        try container.encode(scope, forKey: .scope)
        try container.encode(scopeValue, forKey: .scopeValue)
        try container.encode(period, forKey: .period)
        try container.encode(periodLabel, forKey: .periodLabel)
        try container.encode(periodStart, forKey: .periodStart)
        try container.encode(periodEnd, forKey: .periodEnd)
        try container.encode(limitUSD, forKey: .limitUSD)
        try container.encode(chargedUSD, forKey: .chargedUSD)
        try container.encode(heldUSD, forKey: .heldUSD)
        try container.encode(usedUSD, forKey: .usedUSD)
        try container.encode(percentUsed, forKey: .percentUsed)
        try container.encode(projectedAt, forKey: .projectedAt)
        try container.encode(submissionID, forKey: .submissionID)
        try container.encode(raisedAt, forKey: .raisedAt)
    }
}
