import Crypto
import Foundation

/// Kling's signed callbacks, in the Standard Webhooks style (PROVIDERS.md §1): headers
/// `webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature: v1,<base64>` — several,
/// space-separated, while a secret is being rotated. The signature is HMAC-SHA256 over
/// `"{id}.{timestamp}.{body}"`.
///
/// The sandbox signs its official callbacks with it, the gateway checks them, and signs what it
/// relays to its own callers (with the caller's secret key), so the two sides check each other.
public struct WebhookSignature: Sendable {
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// A `whsec_`-prefixed secret is base64 after the prefix, as Standard Webhooks writes them;
    /// any other text is used as it is (the bytes of a caller's secret key).
    public init(secret: String) {
        if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) {
            keyBytes = decoded
        } else {
            keyBytes = Data(secret.utf8)
        }
    }

    /// How far a timestamp may be from now, either way.
    public static let tolerance: TimeInterval = 5 * 60

    /// The three headers for one delivery.
    public func headers(id: String, body: Data, at instant: Date = Date()) -> [(name: String, value: String)] {
        let timestamp = String(Int64(instant.timeIntervalSince1970))
        return [("webhook-id", id), ("webhook-timestamp", timestamp), ("webhook-signature", "v1," + signature(id: id, timestamp: timestamp, body: body))]
    }

    /// Why a delivery is not believed.
    public enum Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        case missingHeaders
        case staleTimestamp
        case badSignature

        public var description: String {
            switch self {
            case .missingHeaders: "webhook-id, webhook-timestamp and webhook-signature are required"
            case .staleTimestamp: "webhook-timestamp is more than 5 minutes from now"
            case .badSignature: "no v1 signature in webhook-signature matches the body"
            }
        }
    }

    /// Checks one delivery: its timestamp within five minutes, and one of its `v1` signatures
    /// (compared in constant time) over exactly these bytes.
    public func verify(id: String?, timestamp: String?, signatures: String?, body: Data, now: Date = Date()) throws(Rejection) {
        guard let id, let timestamp, let signatures, let seconds = Int64(timestamp) else { throw .missingHeaders }
        guard abs(now.timeIntervalSince1970 - TimeInterval(seconds)) <= Self.tolerance else { throw .staleTimestamp }
        let expected = Data(signature(id: id, timestamp: timestamp, body: body).utf8)
        let matches = signatures.split(separator: " ").contains { candidate in
            guard candidate.hasPrefix("v1,") else { return false }
            return Self.constantTimeEqual(Data(candidate.dropFirst(3).utf8), expected)
        }
        guard matches else { throw .badSignature }
    }

    private func signature(id: String, timestamp: String, body: Data) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        return Data(HMAC<SHA256>.authenticationCode(for: signed, using: key)).base64EncodedString()
    }

    private static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
