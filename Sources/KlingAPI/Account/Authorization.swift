import Foundation

/// Adds a provider's authentication headers to a request, at the last moment, so that no
/// `WireRequest` (which may be logged or compared) ever holds a secret.
struct Authorization: Sendable {
    let credential: Credential
    private let tokens: AccessTokenCache?

    init(credential: Credential) {
        self.credential = credential
        if case .accessKeys(let accessKey, let secretKey) = credential {
            tokens = AccessTokenCache(signer: AccessTokenSigner(accessKey: accessKey, secretKey: secretKey))
        } else {
            tokens = nil
        }
    }

    func headers(now: Date) -> [String: String] {
        switch credential {
        case .accessKeys: ["Authorization": "Bearer \(tokens?.token(now: now) ?? "")"]
        case .bearer(let token): ["Authorization": "Bearer \(token)"]
        case .subscriptionKey(let key): ["Ocp-Apim-Subscription-Key": key]
        }
    }

    /// Whether a refused token can be replaced by signing a new one.
    var canResign: Bool { tokens != nil }

    func tokenRefused(now: Date, serverDate: Date?) {
        tokens?.refused(now: now, serverDate: serverDate)
    }
}
