import Foundation
import KlingAuth
import KlingCore
import Ledger

/// Who is calling: the key the request was signed with, or refused with the official API's
/// 401 codes.
struct CallerAuthenticator: Sendable {
    let secret: GatewaySecret

    /// The key behind the request's `Authorization`, if it is one of ours and still valid.
    ///
    /// A revoked key is refused as 1000 (authentication failed: retrying cannot help); an
    /// expired one as 1004 (expired), the code the official API gives an expired token.
    func caller(authorization: String?, ledger: Ledger, now: Date) throws -> GatewayKey {
        let key: GatewayKey
        switch try BearerCredential(authorization: authorization) {
        case .staticKey(let apiKey):
            guard let found = try ledger.gatewayKey(apiKeyDigest: GatewaySecret.digest(apiKey: apiKey)) else {
                throw BearerCredential.Refusal(code: 1000, message: "Authentication failed: this API key was not issued by this gateway")
            }
            key = found
        case .token(let token):
            guard let found = try ledger.gatewayKey(accessKey: token.issuer) else {
                throw BearerCredential.Refusal(code: 1000, message: "Authentication failed: access key \(token.issuer) was not issued by this gateway")
            }
            try token.check(secretKey: secret.secretKey(forAccessKey: found.accessKey), now: now)
            key = found
        }
        switch key.status(at: now) {
        case .active:
            return key
        case .revoked:
            throw BearerCredential.Refusal(
                code: 1000, message: "Authentication failed: key \(key.id) was revoked; ask the gateway's operator for a new one")
        case .expired:
            let date = key.expiresAt.map { Date.ISO8601FormatStyle().format($0) } ?? ""
            throw BearerCredential.Refusal(
                code: 1004, message: "Authorization has expired: key \(key.id) expired at \(date); ask the gateway's operator for a new one")
        }
    }
}

extension CallerScope {
    /// The idempotency key under which a caller's `external_task_id` is recorded: the same id
    /// from the same scope is the same task, and scopes never collide.
    func idempotencyKey(externalTaskID: String) -> String {
        "gateway\u{1F}\(team)\u{1F}\(project ?? "")\u{1F}\(user ?? "")\u{1F}\(externalTaskID)"
    }

    /// The caller's own `external_task_id` of a submission it made, if it gave one.
    func externalTaskID(of record: SubmissionRecord) -> String? {
        let prefix = idempotencyKey(externalTaskID: "")
        guard record.idempotencyKey.hasPrefix(prefix) else { return nil }
        return String(record.idempotencyKey.dropFirst(prefix.count))
    }

    /// Whether the submission was made as exactly this scope.
    func owns(_ record: SubmissionRecord) -> Bool {
        record.team == team && record.project == project && record.user == user
    }
}
