import Foundation

/// The credentials the sandbox accepts, one set per provider.
public struct SandboxCredentials: Sendable, Equatable {
    public var klingAccessKey: String
    public var klingSecretKey: String
    /// The official API's static key, accepted alongside signed tokens.
    public var klingAPIKey: String
    public var pixazoSubscriptionKey: String
    public var aceDataToken: String
    public var kkiaiKey: String
    /// The secret the official API signs its callbacks with (Standard Webhooks, `whsec_…`).
    public var klingWebhookSecret: String

    /// Fixed, obviously fake values, for the demo and `kling-ledger sandbox`.
    public static let standard = SandboxCredentials(
        klingAccessKey: "sandbox-access-key", klingSecretKey: "sandbox-secret-key", klingAPIKey: "sandbox-kling-api-key",
        pixazoSubscriptionKey: "sandbox-pixazo-key", aceDataToken: "sandbox-acedata-token", kkiaiKey: "sandbox-kkiai-key",
        klingWebhookSecret: "whsec_" + Data("sandbox-webhook-secret".utf8).base64EncodedString())

    /// Fresh random values, so a test can search for them where they must not appear.
    public static func random() -> SandboxCredentials {
        func secret(_ label: String) -> String { "\(label)-\(UUID().uuidString.lowercased())" }
        return SandboxCredentials(
            klingAccessKey: secret("ak"), klingSecretKey: secret("sk"), klingAPIKey: secret("kling"),
            pixazoSubscriptionKey: secret("pixazo"), aceDataToken: secret("acedata"), kkiaiKey: secret("kkiai"),
            klingWebhookSecret: "whsec_" + Data(secret("webhook").utf8).base64EncodedString())
    }

    /// Every secret, to search for.
    public var all: [String] { [klingAccessKey, klingSecretKey, klingAPIKey, pixazoSubscriptionKey, aceDataToken, kkiaiKey, klingWebhookSecret] }
}
