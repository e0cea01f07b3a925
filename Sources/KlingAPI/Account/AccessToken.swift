import Crypto
import Foundation
import Synchronization

/// The official API's signed token (PROVIDERS.md §1): HS256, `iss` = access key,
/// `exp` = now + 1800 s, `nbf` = now − 5 s. The signature is swift-crypto's HMAC-SHA256; only
/// the JSON and base64url framing around it is written here.
struct AccessTokenSigner: Sendable {
    static let lifetime: TimeInterval = 1800
    static let earlyAllowance: TimeInterval = 5

    let accessKey: String
    let secretKey: String

    /// A token valid from `now − 5 s` to `now + 1800 s`.
    func sign(now: Date) -> (token: String, expires: Date) {
        let issued = now.timeIntervalSince1970.rounded(.down)
        let header = #"{"alg":"HS256","typ":"JWT"}"#
        let claims = Claims(iss: accessKey, exp: Int64(issued + Self.lifetime), nbf: Int64(issued - Self.earlyAllowance))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding three plain fields cannot fail.
        let claimsJSON = (try? encoder.encode(claims)) ?? Data()
        let signingInput = Self.base64URL(Data(header.utf8)) + "." + Self.base64URL(claimsJSON)
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(secretKey.utf8)))
        return (signingInput + "." + Self.base64URL(Data(signature)), Date(timeIntervalSince1970: issued + Self.lifetime))
    }

    struct Claims: Encodable {
        let iss: String
        let exp: Int64
        let nbf: Int64
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// One token shared by every request of a client, signed again five minutes before it
/// expires (a long poll outlives a token) and at once when the server refuses it.
///
/// When the server says a token is early or expired, its `Date` header tells how far this
/// machine's clock is off; later tokens are signed on the server's time.
final class AccessTokenCache: Sendable {
    static let renewalMargin: TimeInterval = 300

    private struct State {
        var token: String?
        var expires = Date.distantPast
        /// Server time minus local time, learned from a refusal.
        var clockOffset: TimeInterval = 0
    }

    private let signer: AccessTokenSigner
    private let state = Mutex(State())

    init(signer: AccessTokenSigner) {
        self.signer = signer
    }

    /// The current token, signed anew when it is close to expiry.
    func token(now: Date) -> String {
        state.withLock { state in
            let serverNow = now.addingTimeInterval(state.clockOffset)
            if let token = state.token, state.expires.timeIntervalSince(serverNow) > Self.renewalMargin { return token }
            let signed = signer.sign(now: serverNow)
            state.token = signed.token
            state.expires = signed.expires
            return signed.token
        }
    }

    /// Forgets the refused token; when the refusal carried the server's time, adopts its offset.
    func refused(now: Date, serverDate: Date?) {
        state.withLock { state in
            state.token = nil
            if let serverDate { state.clockOffset = serverDate.timeIntervalSince(now) }
        }
    }
}

// Neither the keys nor a signed token may show through a description or a dump.
extension AccessTokenSigner: CustomStringConvertible, CustomReflectable {
    var description: String { "AccessTokenSigner(<redacted>)" }
    var customMirror: Mirror { Mirror(self, children: []) }
}

extension AccessTokenCache: CustomStringConvertible, CustomReflectable {
    var description: String { "AccessTokenCache(<redacted>)" }
    var customMirror: Mirror { Mirror(self, children: []) }
}
