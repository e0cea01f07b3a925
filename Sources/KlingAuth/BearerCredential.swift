import Crypto
import Foundation
import KlingCore

/// What a caller put in `Authorization: Bearer …` for the official Kling API: a static API key,
/// or a JWT signed with HS256 by the secret key of an access-key pair (PROVIDERS.md §1).
///
/// Checked the way the official API checks it, with its codes: 1001 empty, 1002 invalid,
/// 1000 authentication failed, 1003 not yet valid, 1004 expired. Shared by the sandbox (the
/// provider's double) and the gateway (which answers as the provider); the client signs its
/// tokens with code of its own, so the two sides check each other.
public enum BearerCredential: Sendable {
    case staticKey(String)
    case token(SignedToken)

    /// A refusal, with the official business code (all are HTTP 401).
    public struct Refusal: Error, Sendable, Equatable {
        public let code: Int
        public let message: String

        public init(code: Int, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// Reads the `Authorization` header. Text with a JWT's three parts is a token; anything
    /// else is a static key.
    public init(authorization header: String?) throws(Refusal) {
        guard let header, !header.isEmpty else { throw Refusal(code: 1001, message: "Authorization is empty") }
        guard header.hasPrefix("Bearer "), header.count > "Bearer ".count else {
            throw Refusal(code: 1002, message: "Authorization is invalid: send \"Bearer <token>\"")
        }
        let text = String(header.dropFirst("Bearer ".count))
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            self = .staticKey(text)
            return
        }
        self = .token(try SignedToken(text))
    }
}

/// A JWT as the official API takes it: header `{"alg":"HS256"}`, claims `iss` (the access
/// key), `nbf` and `exp` (seconds).
public struct SignedToken: Sendable {
    public let issuer: String
    public let notBefore: Int
    public let expires: Int
    private let signingInput: Data
    private let signature: Data

    init(_ text: String) throws(BearerCredential.Refusal) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let invalid = BearerCredential.Refusal(code: 1002, message: "Authorization is invalid: the token is not a JWT")
        guard parts.count == 3, let headerJSON = Self.decode(parts[0]), let claimsJSON = Self.decode(parts[1]),
            let signature = Self.decode(parts[2]),
            let header = (try? JSONValue(parsing: headerJSON))?.objectValue,
            let claims = (try? JSONValue(parsing: claimsJSON))?.objectValue
        else { throw invalid }
        guard header["alg"]?.stringValue == "HS256" else {
            throw BearerCredential.Refusal(code: 1002, message: "Authorization is invalid: alg must be HS256")
        }
        guard let issuer = claims["iss"]?.stringValue, !issuer.isEmpty else {
            throw BearerCredential.Refusal(code: 1002, message: "Authorization is invalid: iss (the access key) is required")
        }
        guard let notBefore = claims["nbf"].flatMap(Self.seconds), let expires = claims["exp"].flatMap(Self.seconds) else {
            throw BearerCredential.Refusal(code: 1002, message: "Authorization is invalid: nbf and exp are required")
        }
        self.issuer = issuer
        self.notBefore = notBefore
        self.expires = expires
        self.signingInput = Data((parts[0] + "." + parts[1]).utf8)
        self.signature = signature
    }

    /// Checks the signature against the secret key, then the validity window.
    public func check(secretKey: String, now: Date) throws(BearerCredential.Refusal) {
        let key = SymmetricKey(data: Data(secretKey.utf8))
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else {
            throw BearerCredential.Refusal(code: 1000, message: "Authentication failed")
        }
        let seconds = Int(now.timeIntervalSince1970)
        if notBefore > seconds { throw BearerCredential.Refusal(code: 1003, message: "Authorization is not yet valid") }
        if expires <= seconds { throw BearerCredential.Refusal(code: 1004, message: "Authorization has expired: sign a new token") }
    }

    /// A NumericDate (RFC 7519): seconds since 1970, a whole number or not (then its whole
    /// seconds, rounded down).
    static func seconds(_ value: JSONValue) -> Int? {
        guard case .number(let text) = value else { return nil }
        if let whole = Int(text) { return whole }
        guard let seconds = Double(text), seconds.isFinite, abs(seconds) < 1e15 else { return nil }
        return Int(seconds.rounded(.down))
    }

    /// base64url without padding, as JWTs write it.
    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
