import Foundation

/// Why the gateway cannot start or issue a key.
public enum GatewayError: Error, Sendable, Equatable {
    /// `KLING_LEDGER_GATEWAY_SECRET` is not set.
    case noSecret
    /// The secret is too short to protect the keys derived from it.
    case weakSecret(length: Int)
    /// The address could not be bound.
    case cannotListen(host: String, port: Int, reason: String)
}

extension GatewayError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .noSecret:
            "\(GatewaySecret.environmentVariable) is not set: the gateway derives its callers' JWT secret keys from it. "
                + "Make one with `export \(GatewaySecret.environmentVariable)=$(openssl rand -hex 32)` and keep it as safe as the provider keys"
        case .weakSecret(let length):
            "\(GatewaySecret.environmentVariable) has \(length) characters; it needs at least \(GatewaySecret.minimumLength). "
                + "Make one with `export \(GatewaySecret.environmentVariable)=$(openssl rand -hex 32)`"
        case .cannotListen(let host, let port, let reason):
            "cannot listen on \(host):\(port) (\(reason)); choose another --port, or 0 for any free one"
        }
    }
}
