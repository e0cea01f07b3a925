import ArgumentParser
import Foundation
import Gateway
import Ledger

/// `kling-ledger keys`: the gateway's caller credentials.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Issue, list and revoke the keys callers of `kling-ledger serve` sign with.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Issue a key for a team (and optionally a project and user); its secrets are printed once.",
            discussion: """
                Prints an access key + secret key pair (sign an HS256 JWT with iss = access key, \
                exactly as for Kling) and a static API key (send it as Bearer). Both spend as the \
                scope given, against its budgets. The ledger keeps the access key and a SHA-256 of \
                the API key only: the secret key is derived from KLING_LEDGER_GATEWAY_SECRET, which \
                this command and `serve` both need.
                """)

        @OptionGroup var ledger: LedgerOptions
        @Option(help: "The team the key spends as.") var team: String?
        @Flag(help: "An admin key: it opens every team's numbers on the dashboard (serve's /ui) and spends nothing.") var admin = false
        @Option(help: "The project within the team.") var project: String?
        @Option(help: "The user within the team.") var user: String?
        @Option(help: ArgumentHelp("When the key stops working: a date (2026-12-31, UTC midnight) or an ISO 8601 instant.", valueName: "date"))
        var expires: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if admin, team != nil || project != nil || user != nil {
                throw ValidationError("an admin key sees every team and spends as none: give --admin without --team, --project or --user")
            }
            if !admin, team == nil { throw ValidationError("give --team TEAM (the team the key spends as), or --admin for a dashboard key") }
            for (name, value) in [("--team", team ?? "x"), ("--project", project ?? "x"), ("--user", user ?? "x")] where value.isEmpty {
                throw ValidationError("\(name) must not be empty")
            }
            if let expires, try expiry(expires) <= Date() { throw ValidationError("--expires \(expires) is in the past") }
        }

        func run() throws {
            try reportingFailures {
                let secret = try GatewaySecret.fromEnvironment()
                // An admin key's team is "*": it is never a team's name, and nothing spends as it.
                let issued = try secret.issue(
                    to: CallerScope(team: team ?? "*", project: project, user: user), role: admin ? .admin : .caller,
                    expiresAt: try expires.map(expiry), ledger: try ledger.open(.create))
                if json { return try printJSON(IssuedKeyJSON(issued)) }
                print("Issued \(admin ? "admin key" : "key") \(issued.key.id) for \(admin ? "the dashboard, every team" : issued.key.scope.description)\(issued.key.expiresAt.map { ", expires \(Timestamp.string($0))" } ?? "").")
                print("These secrets are shown now and never again; the ledger keeps none of them.")
                print("  access key:  \(issued.key.accessKey)")
                print("  secret key:  \(issued.secretKey)")
                print("  API key:     \(issued.apiKey)")
                if admin {
                    print("Open serve's /ui in a browser and give the API key as the password (any user name).")
                } else {
                    print("Sign JWTs with the pair as for Kling (HS256, iss = access key), or send \"Authorization: Bearer <API key>\".")
                    print("The API key is also the password of serve's dashboard (/ui), which shows this team's numbers.")
                }
                print("Revoke with: kling-ledger keys revoke \(issued.key.id)")
            }
        }

        private func expiry(_ text: String) throws -> Date {
            if let date = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return date }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw ValidationError("--expires \(text) is not a date such as 2026-12-31 or an instant such as 2026-12-31T18:00:00Z")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the keys issued, without their secrets.")

        @OptionGroup var ledger: LedgerOptions
        @Flag(help: "Print JSON (an array of keys).") var json = false

        func run() throws {
            try reportingFailures {
                let keys = try ledger.open(.read).gatewayKeys()
                if json { return try printJSON(keys.map(KeyJSON.init)) }
                guard !keys.isEmpty else { return print("No keys issued. Issue one with: kling-ledger keys create --team TEAM") }
                for key in keys {
                    let expiry = key.expiresAt.map { ", expires \(Timestamp.string($0))" } ?? ""
                    print("\(key.id)  \(key.status().rawValue)  \(key.role == .admin ? "admin (every team)" : key.scope.description)  access key \(key.accessKey)  issued \(Timestamp.string(key.createdAt))\(expiry)")
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a key for good: its callers get 401 (code 1000) from then on.")

        @OptionGroup var ledger: LedgerOptions
        @Argument(help: "The key's id (gk_…), as `keys list` shows it.") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingFailures {
                let key = try ledger.open(.write).revokeGatewayKey(id: id)
                if json { return try printJSON(KeyJSON(key)) }
                print("Revoked \(key.id) (\(key.scope)) at \(key.revokedAt.map(Timestamp.string) ?? "")")
            }
        }
    }
}

/// `keys list --json`, `keys revoke --json`.
struct KeyJSON: Encodable {
    let id: String
    let status: String
    let role: String
    let team: String
    @Nullable var project: String?
    @Nullable var user: String?
    let access_key: String
    let created_at: String
    @Nullable var expires_at: String?
    @Nullable var revoked_at: String?

    init(_ key: GatewayKey) {
        id = key.id
        status = key.status().rawValue
        role = key.role.rawValue
        team = key.scope.team
        project = key.scope.project
        user = key.scope.user
        access_key = key.accessKey
        created_at = Timestamp.string(key.createdAt)
        expires_at = key.expiresAt.map(Timestamp.string)
        revoked_at = key.revokedAt.map(Timestamp.string)
    }
}

/// `keys create --json`: the key and, this once, its secrets.
struct IssuedKeyJSON: Encodable {
    let key: KeyJSON
    let access_key: String
    let secret_key: String
    let api_key: String

    init(_ issued: IssuedKey) {
        key = KeyJSON(issued.key)
        access_key = issued.key.accessKey
        secret_key = issued.secretKey
        api_key = issued.apiKey
    }
}
