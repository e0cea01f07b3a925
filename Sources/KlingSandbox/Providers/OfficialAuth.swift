import Crypto
import Foundation
import Hummingbird

/// Checks an official API request's `Authorization` the way the API does: a static key, or a
/// JWT whose HS256 signature, issuer, `nbf` and `exp` are verified. Written apart from the
/// client's signer, so the two check each other.
struct OfficialAuth: Sendable {
    let accessKey: String
    let secretKey: String
    let apiKey: String

    /// The business code and message of a refusal, or `nil` when the request may proceed.
    func refusal(_ request: Request, now: Date) -> (code: Int, message: String)? {
        guard let header = request.headers[.authorization], !header.isEmpty else { return (1001, "Authorization is empty") }
        guard header.hasPrefix("Bearer ") else { return (1002, "Authorization is invalid") }
        let token = String(header.dropFirst("Bearer ".count))
        if token == apiKey { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerJSON = Self.decode(parts[0]), let claimsJSON = Self.decode(parts[1]),
            let signature = Self.decode(parts[2]),
            let jose = (try? JSONSerialization.jsonObject(with: headerJSON)) as? [String: Any],
            let claims = (try? JSONSerialization.jsonObject(with: claimsJSON)) as? [String: Any]
        else { return (1002, "Authorization is invalid") }
        guard jose["alg"] as? String == "HS256" else { return (1002, "Authorization is invalid: alg must be HS256") }
        let key = SymmetricKey(data: Data(secretKey.utf8))
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data((parts[0] + "." + parts[1]).utf8), using: key),
            claims["iss"] as? String == accessKey
        else { return (1000, "Authentication failed") }
        guard let notBefore = claims["nbf"] as? Int, let expires = claims["exp"] as? Int else {
            return (1002, "Authorization is invalid: nbf and exp are required")
        }
        let seconds = Int(now.timeIntervalSince1970)
        if notBefore > seconds { return (1003, "Authorization is not yet valid") }
        if expires <= seconds { return (1004, "Authorization has expired") }
        return nil
    }

    /// base64url without padding, as JWTs write it.
    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
