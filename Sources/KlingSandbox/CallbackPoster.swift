import AsyncHTTPClient
import Foundation
import KlingAuth
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Posts a task's status changes to its `callback_url`, as the official API and AceData do:
/// when processing starts and when it ends, the last one as many times as a fault asks (with
/// the same `webhook-id`, as a provider's retry would). Signed when given a signer, as the
/// official API signs them.
final class CallbackPoster: Sendable {
    private let deliveries = Mutex<[Task<Void, Never>]>([])
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func schedule(_ task: SandboxTask, signer: WebhookSignature? = nil, render: @escaping @Sendable (SandboxTask, Date) -> [String: Any]) {
        // A test double posts only on this machine: a callback address anywhere else (the
        // gate's default `.invalid` one included) is accepted and never called.
        guard let url = task.callbackURL, Self.isLoopback(url) else { return }
        let logger = logger
        let delivery = Task {
            let moments = [(task.processingAt, 1), (task.finishesAt, task.finalCallbacks)]
            for (index, (moment, times)) in moments.enumerated() {
                let wait = moment.timeIntervalSinceNow
                if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000) + 1)) }
                if Task.isCancelled { return }
                let body = (try? JSONSerialization.data(withJSONObject: render(task, moment), options: [.sortedKeys])) ?? Data()
                for _ in 0..<times {
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    for header in signer?.headers(id: "\(task.taskID)-\(index)", body: body) ?? [] {
                        request.headers.add(name: header.name, value: header.value)
                    }
                    request.body = .bytes(ByteBuffer(bytes: body))
                    do {
                        _ = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
                    } catch {
                        logger.debug("callback not delivered", metadata: ["task": "\(task.taskID)", "error": "\(error)"])
                    }
                }
            }
        }
        deliveries.withLock { $0.append(delivery) }
    }

    static func isLoopback(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    func cancelAll() {
        deliveries.withLock { tasks in
            tasks.forEach { $0.cancel() }
            tasks.removeAll()
        }
    }
}
