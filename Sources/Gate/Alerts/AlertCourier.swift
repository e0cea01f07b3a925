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
            // Retrying everything now is one pass, so it claims all undelivered ones at once.
            let claimed = try ledger.claimDeliveries(at: now(), ignoringSchedule: ignoringSchedule, limit: ignoringSchedule ? 100 : 5)
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

/// The JSON format's document: the budget (or resource pack), period, threshold and amounts as
/// exact decimal strings. Every key is always present: what does not apply is `null`.
struct AlertDocument: Encodable {
    let alert: Alert

    init(_ alert: Alert) {
        self.alert = alert
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, message, scope, period, subject
        case alertID = "alert_id", thresholdPercent = "threshold_percent", budgetID = "budget_id", scopeValue = "scope_value"
        case periodLabel = "period_label", periodStart = "period_start", periodEnd = "period_end", limitUSD = "limit_usd"
        case chargedUSD = "charged_usd", heldUSD = "held_usd", usedUSD = "used_usd", percentUsed = "percent_used"
        case projectedAt = "projected_at", submissionID = "submission_id", raisedAt = "raised_at"
        case packID = "pack_id", packName = "pack_name", packTotalUnits = "pack_total_units", packRemainingUnits = "pack_remaining_units"
        case packExpiresAt = "pack_expires_at", packUnusedAtExpiryUnits = "pack_unused_at_expiry_units"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let budget = alert.budget
        let pack = alert.pack
        try container.encode("kling-ledger-alert-\(alert.id)", forKey: .id)
        try container.encode(alert.id, forKey: .alertID)
        try container.encode(alert.kind.rawValue, forKey: .kind)
        try container.encode(budget == nil ? "pack" : "budget", forKey: .subject)
        try container.encode(alert.percent, forKey: .thresholdPercent)
        try container.encode(alert.message, forKey: .message)
        try container.encode(budget?.budgetID, forKey: .budgetID)
        try container.encode(budget?.scope.stored.name, forKey: .scope)
        try container.encode(budget?.scope.stored.value, forKey: .scopeValue)
        try container.encode(budget?.period.rawValue, forKey: .period)
        try container.encode(alert.periodLabel, forKey: .periodLabel)
        try container.encode(budget?.periodStart.map(Timestamp.string), forKey: .periodStart)
        try container.encode(budget?.periodEnd.map(Timestamp.string), forKey: .periodEnd)
        try container.encode(budget?.limit.decimalString, forKey: .limitUSD)
        try container.encode(budget?.charged.decimalString, forKey: .chargedUSD)
        try container.encode(budget?.held.decimalString, forKey: .heldUSD)
        try container.encode(budget?.used.decimalString, forKey: .usedUSD)
        try container.encode(budget?.percentUsed, forKey: .percentUsed)
        try container.encode(alert.projectedAt.map(Timestamp.string), forKey: .projectedAt)
        try container.encode(budget?.submissionID, forKey: .submissionID)
        try container.encode(pack?.id, forKey: .packID)
        try container.encode(pack?.name, forKey: .packName)
        try container.encode(pack?.total.decimalString, forKey: .packTotalUnits)
        try container.encode(pack?.remaining.decimalString, forKey: .packRemainingUnits)
        try container.encode(pack.map { Timestamp.string($0.expiresAt) }, forKey: .packExpiresAt)
        try container.encode(pack?.unusedAtExpiry?.decimalString, forKey: .packUnusedAtExpiryUnits)
        try container.encode(Timestamp.string(alert.createdAt), forKey: .raisedAt)
    }
}
