import Foundation
import Gate
import HTTPTypes
import Hummingbird
import KlingAuth
import KlingCore
import Ledger
import Logging

/// Where providers post their callbacks when the gateway gave them its own address
/// (`--public-url`): `POST /callbacks/{provider}/{submission id}`.
///
/// A callback is a hint, never a figure: the gateway re-reads the task from the provider and
/// settles what that read says, so a forged or replayed callback can cost a read, never money.
/// The official API's signed callbacks are checked when `KLING_WEBHOOK_SECRET` is set, and
/// refused when their signature does not match.
struct ProviderCallbacks: Sendable {
    let gateway: Gateway
    /// Checks the official API's signatures; `nil` when no secret is configured.
    let officialSigner: WebhookSignature?

    static func path(provider: Provider, submissionID: String) -> String { "/callbacks/\(provider.rawValue)/\(submissionID)" }

    func register(on router: Router<GatewayContext>) {
        router.post("/callbacks/:provider/:submission") { request, context in try await receive(request, context) }
    }

    private func receive(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        guard let provider = context.parameters.get("provider").flatMap(Provider.init(rawValue:)), provider != .pixazo else {
            throw KlingRefusal.notServed(request.method, request.uri.path)
        }
        if provider == .kling, let officialSigner {
            do {
                try officialSigner.verify(
                    id: request.headers[webhookID], timestamp: request.headers[webhookTimestamp], signatures: request.headers[webhookSignature],
                    body: body)
            } catch {
                gateway.logger.warning("callback refused: \(error)", metadata: ["provider": "\(provider.rawValue)"])
                throw KlingRefusal(1000, "callback signature not accepted: \(error)")
            }
        }
        let id = context.parameters.get("submission") ?? ""
        let record = try await gateway.gate.withLedger(.write) { try $0.submission(id: id) }
        guard let record, record.job.provider == provider else { throw KlingRefusal(1203, "no task \(id) at this gateway") }
        context.log.submission(record.id)
        // Before the create's answer is recorded there is no task id to read; the settler reads it later.
        if record.providerTaskID != nil, record.isOpen {
            do {
                _ = try await gateway.gate.refresh(record)
            } catch {
                gateway.logger.warning(
                    "callback: the task could not be re-read; the settler will", metadata: ["submission": "\(record.id)", "error": "\(error.localizedDescription)"])
            }
        }
        return KlingAnswer.json(.ok, ["code": 0, "message": "SUCCEED"])
    }

    private var webhookID: HTTPField.Name { HTTPField.Name("webhook-id")! }
    private var webhookTimestamp: HTTPField.Name { HTTPField.Name("webhook-timestamp")! }
    private var webhookSignature: HTTPField.Name { HTTPField.Name("webhook-signature")! }
}
