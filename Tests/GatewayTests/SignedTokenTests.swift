import Crypto
import Foundation
import KlingAuth
import Testing

/// The JWTs callers sign with their issued key pairs, read as RFC 7519 says: `nbf` and `exp`
/// are NumericDates, which may have a fraction; anything else, or a claim given twice, is
/// refused with the official API's 1002.
@Suite("Signed tokens")
struct SignedTokenTests {
    static let secret = "caller-secret-key"

    static func segment(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func token(claims: String, header: String = #"{"alg":"HS256","typ":"JWT"}"#) -> String {
        let input = segment(header) + "." + segment(claims)
        let signature = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return input + "." + Data(signature).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func read(_ claims: String, header: String = #"{"alg":"HS256","typ":"JWT"}"#) throws -> SignedToken {
        guard case .token(let token) = try BearerCredential(authorization: "Bearer " + token(claims: claims, header: header)) else {
            throw BearerCredential.Refusal(code: 0, message: "read as a static key")
        }
        return token
    }

    @Test("nbf and exp are read as whole seconds, a fraction rounded down, and checked against the clock and the key")
    func numericDates() throws {
        let token = try Self.read(#"{"iss":"ak-1","nbf":1700000000,"exp":1700000300.75}"#)
        #expect(token.issuer == "ak-1" && token.notBefore == 1_700_000_000 && token.expires == 1_700_000_300)
        let inside = Date(timeIntervalSince1970: 1_700_000_100)
        #expect(throws: Never.self) { try token.check(secretKey: Self.secret, now: inside) }
        #expect(throws: BearerCredential.Refusal.self) { try token.check(secretKey: "another key", now: inside) }
        #expect { try token.check(secretKey: Self.secret, now: Date(timeIntervalSince1970: 1_700_000_300)) } throws: {
            ($0 as? BearerCredential.Refusal)?.code == 1004
        }
        #expect { try token.check(secretKey: Self.secret, now: Date(timeIntervalSince1970: 1_699_999_999)) } throws: {
            ($0 as? BearerCredential.Refusal)?.code == 1003
        }
    }

    @Test("A token with a claim of the wrong kind, a missing claim, a claim given twice or another algorithm is refused with 1002")
    func refusals() {
        let cases = [
            #"{"iss":"ak-1","nbf":true,"exp":1700000300}"#,
            #"{"iss":"ak-1","nbf":"1700000000","exp":1700000300}"#,
            #"{"iss":"ak-1","nbf":1700000000}"#,
            #"{"iss":"ak-1","nbf":1700000000,"exp":1e400}"#,
            #"{"iss":"","nbf":1700000000,"exp":1700000300}"#,
            #"{"iss":"ak-1","iss":"ak-2","nbf":1700000000,"exp":1700000300}"#,
        ]
        for claims in cases {
            #expect("\(claims)") { _ = try Self.read(claims) } throws: { ($0 as? BearerCredential.Refusal)?.code == 1002 }
        }
        #expect { _ = try Self.read(#"{"iss":"ak-1","nbf":1,"exp":2}"#, header: #"{"alg":"none"}"#) } throws: {
            ($0 as? BearerCredential.Refusal)?.code == 1002
        }
    }
}
