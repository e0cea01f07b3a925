import Foundation
import KlingAPI
import KlingCore
import Synchronization

/// One client per provider for the gateway's whole life, so that a signed token (and what the
/// client learned of the provider's clock) is reused across requests instead of being signed
/// again for each. A provider whose credentials are missing is asked again on each request,
/// so fixing the environment and restarting is never needed twice.
final class ProviderClients: Sendable {
    private let clients = Mutex<[Provider: KlingClient]>([:])
    private let environment: [String: String]
    private let transport: any HTTPTransport

    init(environment: [String: String], transport: any HTTPTransport) {
        self.environment = environment
        self.transport = transport
    }

    func client(for provider: Provider) throws -> KlingClient {
        if let client = clients.withLock({ $0[provider] }) { return client }
        let client = KlingClient(account: try .fromEnvironment(provider, environment: environment), transport: transport)
        return clients.withLock { clients in
            if let existing = clients[provider] { return existing }
            clients[provider] = client
            return client
        }
    }
}
