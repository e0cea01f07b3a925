import Foundation
import Hummingbird
import KlingAuth

/// Checks an official API request's `Authorization` the way the API does: the static key, or a
/// JWT whose HS256 signature, issuer, `nbf` and `exp` are verified.
struct OfficialAuth: Sendable {
    let accessKey: String
    let secretKey: String
    let apiKey: String

    /// The business code and message of a refusal, or `nil` when the request may proceed.
    func refusal(_ request: Request, now: Date) -> (code: Int, message: String)? {
        do throws(BearerCredential.Refusal) {
            switch try BearerCredential(authorization: request.headers[.authorization]) {
            case .staticKey(let key):
                return key == apiKey ? nil : (1002, "Authorization is invalid")
            case .token(let token):
                guard token.issuer == accessKey else { return (1000, "Authentication failed") }
                try token.check(secretKey: secretKey, now: now)
                return nil
            }
        } catch {
            return (error.code, error.message)
        }
    }
}
