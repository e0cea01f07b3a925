import Foundation

/// Where a PostgreSQL ledger lives, from a `postgres://user[:password]@host[:port]/database`
/// URL (`postgresql://` too).
///
/// The password comes from the URL, else `PGPASSWORD`, else the password file PostgreSQL's own
/// tools read (`PGPASSFILE`, by default `~/.pgpass`). It is never stored, logged or printed:
/// `description` names the user, host, port and database only.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let user: String
    public let database: String
    let password: String?
    /// How long one statement may run before the server cancels it (`?statement_timeout=`
    /// seconds; 60 by default).
    public let statementTimeout: Duration
    /// Connections a process opens (`?connections=`): 2 by default, the store's and the batched
    /// writer's, so that many concurrent holds share one commit; 1 makes batched writes run on
    /// the store's own connection. More would not write faster: every write takes the ledger's
    /// lock, so writers go one at a time whatever the count.
    public let connections: Int
    /// Whether, and how strictly, the connection is encrypted (`?sslmode=`, else `PGSSLMODE`),
    /// as libpq reads it; `prefer` by default.
    public let tls: TLSMode
    /// The certificate authorities `verify-ca` and `verify-full` trust (`?sslrootcert=PATH`,
    /// else `PGSSLROOTCERT`); the system's when none is given.
    public let rootCertificates: String?

    /// libpq's `sslmode`, less `allow` (plain first, then TLS: never better than `prefer`).
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Never encrypted.
        case disable
        /// Encrypted when the server offers it, without checking its certificate.
        case prefer
        /// Encrypted always, without checking the server's certificate.
        case require
        /// Encrypted, with a certificate signed by a trusted authority.
        case verifyCA = "verify-ca"
        /// Encrypted, with a trusted certificate issued to the host the URL names.
        case verifyFull = "verify-full"
    }

    /// Whether `text` names a PostgreSQL ledger rather than a file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// - Throws: `LedgerError.badLocation` for a URL without a host or database, or with a
    ///   port that is not a number.
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(LedgerError) {
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw .badLocation("\(Self.redacted(text)) is not a PostgreSQL URL; write it as postgres://user@host:5432/database")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw .badLocation("\(Self.redacted(text)) names no database; write it as postgres://user@host:5432/database")
        }
        var timeout = 60
        var connections = 2
        var tlsText = environment["PGSSLMODE"].flatMap { $0.isEmpty ? nil : $0 }
        var rootCertificates = environment["PGSSLROOTCERT"].flatMap { $0.isEmpty ? nil : $0 }
        for item in url.queryItems ?? [] {
            switch (item.name, item.value.flatMap(Int.init)) {
            case ("statement_timeout", let seconds?) where seconds >= 1: timeout = seconds
            case ("connections", let count?) where (1...2).contains(count): connections = count
            case ("sslmode", _): tlsText = item.value ?? ""
            case ("sslrootcert", _): rootCertificates = item.value ?? ""
            case ("password", _):
                throw .badLocation(
                    "\(Self.redacted(text)): a password in the URL's options is not read (it would show in logs and process lists); "
                        + "put it in PGPASSWORD or ~/.pgpass")
            default:
                throw .badLocation(
                    "\(Self.redacted(text)): the option \(item.name) is not understood. The options are statement_timeout=SECONDS "
                        + "(at least 1), connections=1 or 2, sslmode=\(Self.tlsModes) and sslrootcert=PATH")
            }
        }
        guard let tls = TLSMode(rawValue: tlsText ?? TLSMode.prefer.rawValue) else {
            throw .badLocation("\(Self.redacted(text)): sslmode \"\(tlsText ?? "")\" is not one of \(Self.tlsModes) (from the URL, else PGSSLMODE)")
        }
        if let rootCertificates, !FileManager.default.isReadableFile(atPath: rootCertificates) {
            throw .badLocation(
                "\(Self.redacted(text)): sslrootcert \(rootCertificates) is not a readable file; give the PEM file of the authority that signed "
                    + "the server's certificate (from the URL, else PGSSLROOTCERT)")
        }
        self.statementTimeout = .seconds(timeout)
        self.connections = connections
        self.tls = tls
        self.rootCertificates = rootCertificates
        let user = url.user.flatMap { $0.removingPercentEncoding ?? $0 } ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        let port = url.port ?? 5432
        self.host = host
        self.port = port
        self.user = user
        self.database = database.removingPercentEncoding ?? database
        self.password =
            url.password.flatMap { $0.removingPercentEncoding ?? $0 }
            ?? environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Self.passwordFile(host: host, port: port, database: self.database, user: user, environment: environment)
    }

    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    static let tlsModes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")

    /// The URL with any password replaced, for messages about a URL that could not be used.
    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text) else {
            // Not even a URL: keep the scheme and what follows the last "@" only.
            guard let at = text.lastIndex(of: "@"), let scheme = text.range(of: "://") else { return text }
            return String(text[..<scheme.upperBound]) + "***" + String(text[at...])
        }
        if url.password != nil { url.password = "***" }
        url.query = nil  // options may hold anything, a password included
        return url.string ?? "postgres://***"
    }

    /// A `hostname:port:database:username:password` line that matches (`*` matches anything).
    private static func passwordFile(host: String, port: Int, database: String, user: String, environment: [String: String]) -> String? {
        let path = environment["PGPASSFILE"] ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.pgpass"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }
}
