import Foundation
import KlingCore

/// A credential `kling-ledger serve` issued to a caller, as the ledger keeps it: who it speaks
/// for, and whether it still may. The secrets are not here (see migration 7).
public struct GatewayKey: Sendable, Equatable {
    /// Where a key stands at an instant.
    public enum Status: String, Sendable {
        case active, expired, revoked
    }

    /// What a key may do: spend as its scope (a caller's), or read every team's numbers on the
    /// dashboard and spend nothing (an admin's).
    public enum Role: String, Sendable {
        case caller, admin
    }

    public let id: String
    /// The public half of the JWT pair, the token's `iss`.
    public let accessKey: String
    public let scope: CallerScope
    public let role: Role
    public let createdAt: Date
    public let expiresAt: Date?
    public let revokedAt: Date?

    public func status(at instant: Date = Date()) -> Status {
        if revokedAt != nil { return .revoked }
        if let expiresAt, expiresAt <= instant { return .expired }
        return .active
    }
}

/// Whose money a caller spends: a team, and within it optionally a project and a user. A
/// caller sees and spends as exactly this scope.
public struct CallerScope: Sendable, Hashable, CustomStringConvertible {
    public let team: String
    public let project: String?
    public let user: String?

    public init(team: String, project: String? = nil, user: String? = nil) {
        self.team = team
        self.project = project
        self.user = user
    }

    /// `team video`, `team video / project ads / user ana`.
    public var description: String {
        ["team \(team)", project.map { "project \($0)" }, user.map { "user \($0)" }].compactMap { $0 }.joined(separator: " / ")
    }
}

/// A key to record: its public parts and the digest of its static API key.
public struct NewGatewayKey: Sendable {
    public let id: String
    public let accessKey: String
    /// Hex SHA-256 of the static API key.
    public let apiKeyDigest: String
    public let scope: CallerScope
    public let role: GatewayKey.Role
    public let expiresAt: Date?

    public init(id: String, accessKey: String, apiKeyDigest: String, scope: CallerScope, role: GatewayKey.Role = .caller, expiresAt: Date?) {
        self.id = id
        self.accessKey = accessKey
        self.apiKeyDigest = apiKeyDigest
        self.scope = scope
        self.role = role
        self.expiresAt = expiresAt
    }
}

extension Ledger {
    private static let gatewayKeyColumns = "id, access_key, team, project, user_name, role, created_at, expires_at, revoked_at"

    /// Records a newly issued key.
    public func createGatewayKey(_ key: NewGatewayKey, at instant: Date = Date()) throws(LedgerError) -> GatewayKey {
        try serialized { () throws(LedgerError) in
            let created = Timestamp.string(instant)
            try connection.write { () throws(LedgerError) in
                try connection.run(
                    "INSERT INTO gateway_keys (id, access_key, api_key_sha256, team, project, user_name, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        .text(key.id), .text(key.accessKey), .text(key.apiKeyDigest), .text(key.scope.team), .text(key.scope.project),
                        .text(key.scope.user), .text(key.role.rawValue), .text(created), .text(key.expiresAt.map(Timestamp.string)),
                    ])
            }
            guard let stored = try gatewayKey(id: key.id) else { throw .corrupt("gateway key \(key.id) was not stored") }
            return stored
        }
    }

    /// Every key issued, oldest first.
    public func gatewayKeys() throws(LedgerError) -> [GatewayKey] {
        try serialized { () throws(LedgerError) in
            try gatewayKeys(where: "TRUE", [])
        }
    }

    public func gatewayKey(id: String) throws(LedgerError) -> GatewayKey? {
        try serialized { () throws(LedgerError) in
            try gatewayKeys(where: "id = ?", [.text(id)]).first
        }
    }

    /// The key whose JWT pair has this access key.
    public func gatewayKey(accessKey: String) throws(LedgerError) -> GatewayKey? {
        try serialized { () throws(LedgerError) in
            try gatewayKeys(where: "access_key = ?", [.text(accessKey)]).first
        }
    }

    /// The key whose static API key has this SHA-256 (hex).
    public func gatewayKey(apiKeyDigest: String) throws(LedgerError) -> GatewayKey? {
        try serialized { () throws(LedgerError) in
            try gatewayKeys(where: "api_key_sha256 = ?", [.text(apiKeyDigest)]).first
        }
    }

    /// Revokes a key for good. Revoking it again changes nothing and returns it as it was.
    /// - Throws: `LedgerError.notFound` when no key has that id.
    public func revokeGatewayKey(id: String, at instant: Date = Date()) throws(LedgerError) -> GatewayKey {
        try serialized { () throws(LedgerError) in
            try connection.write { () throws(LedgerError) in
                try connection.run("UPDATE gateway_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.text(Timestamp.string(instant)), .text(id)])
            }
            guard let key = try gatewayKey(id: id) else { throw .notFound("no gateway key \(id); `kling-ledger keys list` shows them") }
            return key
        }
    }

    private func gatewayKeys(where condition: String, _ values: [SQLValue]) throws(LedgerError) -> [GatewayKey] {
        try connection.query("SELECT \(Self.gatewayKeyColumns) FROM gateway_keys WHERE \(condition) ORDER BY created_at, id", values) {
            row throws(LedgerError) in
            guard let created = Timestamp.date(row.text("created_at")) else { throw .corrupt("gateway key \(row.text("id"))") }
            return GatewayKey(
                id: row.text("id"), accessKey: row.text("access_key"),
                scope: CallerScope(team: row.text("team"), project: row.optionalText("project"), user: row.optionalText("user_name")),
                role: GatewayKey.Role(rawValue: row.text("role")) ?? .caller, createdAt: created, expiresAt: row.optionalText("expires_at").flatMap(Timestamp.date),
                revokedAt: row.optionalText("revoked_at").flatMap(Timestamp.date))
        }
    }

    // MARK: A caller's submissions

    /// The submissions made as exactly this scope, of one kind, newest first: one page of them.
    public func submissions(scope: CallerScope, kind: VideoKind, provider: Provider, page: Int, pageSize: Int) throws(LedgerError) -> [SubmissionRecord] {
        try serialized { () throws(LedgerError) in
            try submissions(
                where: "s.team = ? AND s.project \(connection.dialect.nullSafeEquals) ? AND s.user_name \(connection.dialect.nullSafeEquals) ? AND s.kind = ? AND s.provider = ? AND s.provider_task_id IS NOT NULL",
                [.text(scope.team), .text(scope.project), .text(scope.user), .text(kind.rawValue), .text(provider.rawValue)],
                newestFirst: true, limit: pageSize, offset: (page - 1) * pageSize)
        }
    }
}
