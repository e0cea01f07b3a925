import Crypto
import Foundation
import KlingCore
import Ledger

/// The gateway's own secret, from `KLING_LEDGER_GATEWAY_SECRET`: the root of every JWT secret
/// key the gateway issues. A key pair's secret key is derived from it and the access key, so
/// the ledger keeps only the access key; without this secret a copy of the ledger cannot sign
/// a token the gateway accepts. Static API keys are random, and the ledger keeps their SHA-256.
public struct GatewaySecret: Sendable {
    public static let environmentVariable = "KLING_LEDGER_GATEWAY_SECRET"
    /// 32 characters: 192 bits or more of a random secret, written in any alphabet.
    public static let minimumLength = 32

    private let bytes: Data
    private var key: SymmetricKey { SymmetricKey(data: bytes) }

    public init(_ text: String) throws(GatewayError) {
        guard text.utf8.count >= Self.minimumLength else { throw .weakSecret(length: text.utf8.count) }
        bytes = Data(text.utf8)
    }

    /// The secret from the environment.
    /// - Throws: `GatewayError.noSecret` or `.weakSecret`, saying how to make one.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(GatewayError) -> GatewaySecret {
        guard let text = environment[environmentVariable], !text.isEmpty else { throw .noSecret }
        return try GatewaySecret(text)
    }

    /// The secret key of the pair whose access key this is.
    public func secretKey(forAccessKey accessKey: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("kling-ledger gateway JWT secret v1\n\(accessKey)".utf8), using: key)
        return "sk_" + Self.base64url(Data(code))
    }

    /// Issues a key to a scope and records its public parts: the only time its secrets exist
    /// outside a caller's hands.
    public func issue(to scope: CallerScope, role: GatewayKey.Role = .caller, expiresAt: Date?, ledger: Ledger, now: Date = Date()) throws -> IssuedKey {
        let id = "gk_" + Self.random(9)
        let accessKey = "ak_" + Self.random(18)
        let apiKey = "kl_" + Self.random(32)
        let key = try ledger.createGatewayKey(
            NewGatewayKey(id: id, accessKey: accessKey, apiKeyDigest: Self.digest(apiKey: apiKey), scope: scope, role: role, expiresAt: expiresAt), at: now)
        return IssuedKey(key: key, secretKey: secretKey(forAccessKey: accessKey), apiKey: apiKey)
    }

    /// What the ledger keeps of a static API key: hex SHA-256. The keys are 256 random bits,
    /// so a plain hash cannot be searched back.
    public static func digest(apiKey: String) -> String {
        lowercaseHex(SHA256.hash(data: Array(apiKey.utf8)))
    }

    /// `count` random bytes (the system's CSPRNG), base64url without padding.
    static func random(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return base64url(Data((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A key as issued: shown once, with its secrets.
public struct IssuedKey: Sendable {
    public let key: GatewayKey
    /// Signs the caller's HS256 JWTs, with `key.accessKey` as `iss`.
    public let secretKey: String
    /// The static key, sent as `Authorization: Bearer <apiKey>`.
    public let apiKey: String
}
