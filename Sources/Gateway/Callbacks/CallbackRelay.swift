import Foundation
import Gate
import KlingAPI
import KlingAuth
import KlingCore
import Ledger
import Logging
import ServiceLifecycle

/// Posts each status change of a caller's task to the `callback_url` it gave, once the ledger
/// has recorded (and, for a final status, settled) it: the ledger queues one delivery per
/// status, so a provider's repeated callbacks reach the caller once.
///
/// A post is signed as Kling signs its callbacks (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature: v1,…`) with the secret key of the caller's key pair, so the caller can
/// tell the gateway's callbacks from anyone else's. Failures are retried after 5 s, doubling up
/// to 15 minutes, for 20 attempts (about three hours); then the delivery is given up and kept.
struct CallbackRelay: Service {
    let gate: Gate
    let secret: GatewaySecret
    let transport: any HTTPTransport
    let interval: Duration
    /// Whether callback URLs may point inside the gateway's network (checked again before each
    /// post: a name may resolve elsewhere than when the task was created).
    let allowPrivate: Bool
    let logger: Logger

    static let attempts = 20

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            await relayDue()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return  // shutting down
            }
        }
    }

    /// Posts every delivery due now, a batch at a time.
    func relayDue(now: @escaping @Sendable () -> Date = Date.init) async {
        while true {
            let claimed: [CallbackDelivery]
            do {
                claimed = try await gate.withLedger(.write) { try $0.claimCallbacks(at: now()) }
            } catch {
                logger.error("callback relay: the ledger could not be read", metadata: ["error": "\(error)"])
                return
            }
            if claimed.isEmpty { return }
            await withTaskGroup(of: Void.self) { group in
                for delivery in claimed { group.addTask { await deliver(delivery, now: now) } }
            }
        }
    }

    private func deliver(_ delivery: CallbackDelivery, now: @escaping @Sendable () -> Date) async {
        let record = delivery.submission
        let metadata: Logger.Metadata = ["submission": "\(record.id)", "status": "\(delivery.status.rawValue)", "attempt": "\(delivery.attempts)"]
        let failure: String?
        do {
            let caller = try await gate.withLedger(.write) { ledger in try record.tags["gateway_key"].flatMap { try ledger.gatewayKey(id: $0) } }
            let body = Self.body(record, status: delivery.status, callerExternalID: caller?.scope.externalTaskID(of: record))
            var headers = ["Content-Type": "application/json", "User-Agent": "kling-ledger"]
            if let caller {
                let signer = WebhookSignature(secret: secret.secretKey(forAccessKey: caller.accessKey))
                for header in signer.headers(id: "\(record.id).\(delivery.status.rawValue)", body: body, at: now()) {
                    headers[header.name] = header.value
                }
            }
            if !allowPrivate, let why = CallbackAddress.refusal(delivery.url) { throw RelayRefusal(reason: "not posted: the callback_url's \(why)") }
            let response = try await transport.send(
                TransportRequest(method: .post, url: delivery.url, headers: headers, body: body, timeout: .seconds(10), maxResponseBytes: 64 << 10))
            failure = (200..<300).contains(response.status) ? nil : "the caller's callback_url answered HTTP \(response.status)"
        } catch let error as TransportError {
            failure =
                switch error {
                case .notSent: "could not connect to the caller's callback_url"
                case .answerLost, .cancelled: "no answer from the caller's callback_url"
                case .answerTooLarge: "the callback_url's answer was too large"
                }
        } catch let refusal as RelayRefusal {
            failure = refusal.reason
        } catch {
            failure = "\(error)"
        }
        do {
            if let failure {
                let retryAt = delivery.attempts >= Self.attempts ? nil : now().addingTimeInterval(Self.retryDelay(afterAttempt: delivery.attempts))
                try await gate.withLedger(.write) { try $0.recordCallbackFailed(delivery, reason: failure, retryAt: retryAt) }
                logger.warning(retryAt == nil ? "callback given up" : "callback not delivered; will retry", metadata: metadata.merging(["reason": "\(failure)"]) { $1 })
            } else {
                try await gate.withLedger(.write) { try $0.recordCallbackDelivered(delivery, at: now()) }
                logger.info("callback delivered", metadata: metadata)
            }
        } catch {
            logger.error("callback relay: the outcome could not be recorded", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// What the provider's own callback would post for that status: AceData's task object, or
    /// the official one (KKIAI's too).
    static func body(_ record: SubmissionRecord, status: CallbackDelivery.Status, callerExternalID: String?) -> Data {
        guard record.job.provider == .acedata else { return KlingTaskObject.callback(record, status: status, callerExternalID: callerExternalID) }
        var snapshot = TaskSnapshot(recorded: record)
        if status == .processing { snapshot = TaskSnapshot(providerTaskID: snapshot.providerTaskID, state: .processing, createdAt: snapshot.createdAt) }
        return Data(AceDataSurface.object(snapshot).bytes)
    }

    /// 5 s after the first failure, doubling up to 15 minutes.
    static func retryDelay(afterAttempt attempt: Int) -> TimeInterval {
        TimeInterval(min(5 << max(0, min(attempt - 1, 10)), 900))
    }
}

private struct RelayRefusal: Error {
    let reason: String
}
