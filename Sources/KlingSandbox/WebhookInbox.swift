import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// One post a webhook in the sandbox received.
public struct ReceivedWebhook: Sendable {
    /// The name in the path: `/webhooks/NAME`.
    public let name: String
    public let body: Data
    public let idempotencyKey: String?
    /// Every header, names lowercased.
    public let headers: [String: String]
    public let receivedAt: Date
}

/// The receiving end of alert webhooks, served by the sandbox under `/webhooks/NAME`: it keeps
/// every post it acknowledged, and can be told to be down (answer 503) for the next few posts.
final class WebhookInbox: Sendable {
    private struct Storage {
        var received: [ReceivedWebhook] = []
        var refusalsLeft = 0
        var refused = 0
    }
    private let storage = Mutex(Storage())

    func register(on router: Router<SandboxContext>) {
        router.post("/webhooks/{name}") { request, context in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let name = context.parameters.get("name") ?? ""
            let accepted = self.storage.withLock { storage -> Bool in
                if storage.refusalsLeft > 0 {
                    storage.refusalsLeft -= 1
                    storage.refused += 1
                    return false
                }
                storage.received.append(
                    ReceivedWebhook(
                        name: name, body: Data(body.readableBytesView),
                        idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!],
                        headers: Dictionary(request.headers.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { first, _ in first }),
                        receivedAt: Date()))
                return true
            }
            return Response(status: accepted ? .ok : .serviceUnavailable)
        }
    }

    func refuseNext(_ count: Int) { storage.withLock { $0.refusalsLeft += count } }
    var received: [ReceivedWebhook] { storage.withLock { $0.received } }
    var refused: Int { storage.withLock { $0.refused } }
}

extension Sandbox {
    /// The URL of a webhook receiver in the sandbox; what it is posted is in `webhooks`.
    public func webhookURL(_ name: String = "alerts") -> String { baseURL + "/webhooks/" + name }

    /// Every post the sandbox's webhooks acknowledged, oldest first.
    public var webhooks: [ReceivedWebhook] { inbox.received }

    /// How many posts the webhooks answered 503.
    public var refusedWebhooks: Int { inbox.refused }

    /// Makes the webhooks answer 503 to the next `count` posts: a target that is down.
    public func takeWebhooksDown(forNext count: Int) { inbox.refuseNext(count) }
}
