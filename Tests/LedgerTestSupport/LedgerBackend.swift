import Foundation
import Logging
import NIOPosix
import PostgresNIO
import Testing

/// The ledger's two backends, as test arguments: every ledger, gate, alert and report test runs
/// on both, so that no behaviour exists on one only.
///
/// PostgreSQL is used when `KLING_LEDGER_TEST_POSTGRES` holds a server URL (`bash .ci/run`
/// starts one and sets it); each test gets a database of its own, dropped afterwards. Without
/// it the PostgreSQL cases are left out — and under CI that is a failure, never a skip.
public enum LedgerBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    public var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }

    /// The server the PostgreSQL cases use, if any.
    public static var postgresServer: String? {
        ProcessInfo.processInfo.environment["KLING_LEDGER_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The test server's certificate, its own authority (`.ci/run` sets it, and the server
    /// takes TLS), for the `sslmode` tests.
    public static var postgresCA: String? {
        ProcessInfo.processInfo.environment["KLING_LEDGER_TEST_POSTGRES_CA"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Why the TLS cases do not run here, or `nil` when they do (under CI they always run).
    public static var postgresTLSSkipReason: String? {
        postgresSkipReason
            ?? (postgresCA != nil || underCI
                ? nil
                : "PostgreSQL TLS cases skipped: KLING_LEDGER_TEST_POSTGRES_CA is not set (`bash .ci/run` sets it to its server's certificate)")
    }

    /// Whether the tests run under CI, where every backend must run.
    public static var underCI: Bool { ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false }

    /// The backends to test: both when a server is configured (or under CI, where a missing
    /// server then fails the PostgreSQL cases), else SQLite alone.
    public static var all: [LedgerBackend] { postgresServer != nil || underCI ? [.sqlite, .postgres] : [.sqlite] }

    /// Why the PostgreSQL cases do not run here, or `nil` when they do.
    public static var postgresSkipReason: String? {
        all.contains(.postgres)
            ? nil
            : "PostgreSQL cases skipped: KLING_LEDGER_TEST_POSTGRES is not set. `bash .ci/run` starts a server and runs them; "
                + "or point it at a server of your own (postgres://user:password@127.0.0.1:5432/postgres)"
    }

    /// A fresh ledger location on this backend: a file in a new folder, or a new database.
    /// Removed when `body` returns.
    public func withScratchLocation<T>(_ body: (String) throws -> T) throws -> T {
        let scratch = try Scratch(self)
        defer { scratch.remove() }
        return try body(scratch.location)
    }

    /// The same, with `body` run on threads of its own (see `onOwnThreads`): a test may block
    /// on the ledger without starving the servers of the tests running beside it.
    public func withScratchLocation<T>(_ body: (String) async throws -> T) async throws -> T {
        try await onOwnThreads {
            let scratch = try Scratch(self)
            defer { scratch.remove() }
            return try await body(scratch.location)
        }
    }
}

extension LedgerBackend {
    /// Ends every session on the database of a PostgreSQL ledger `location`, as a restarting
    /// server does; returns how many there were.
    public static func endSessions(of location: String) throws -> Int {
        guard let server = postgresServer, let name = URLComponents(string: location)?.path.drop(while: { $0 == "/" }) else {
            throw ScratchError(description: "not a PostgreSQL ledger: \(location)")
        }
        return try Scratch.admin(
            server, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(name)' AND pid <> pg_backend_pid()"
        ).first ?? 0
    }
}

extension Trait where Self == ConditionTrait {
    /// The test runs when a PostgreSQL server is configured, and always under CI (where a missing
    /// server fails it); elsewhere it is skipped, saying why.
    public static var needsPostgres: Self {
        .enabled(if: LedgerBackend.postgresSkipReason == nil, Comment(rawValue: LedgerBackend.postgresSkipReason ?? ""))
    }

    /// The same, for tests that also need the server's TLS certificate.
    public static var needsPostgresTLS: Self {
        .enabled(if: LedgerBackend.postgresTLSSkipReason == nil, Comment(rawValue: LedgerBackend.postgresTLSSkipReason ?? ""))
    }
}

public struct ScratchError: Error, CustomStringConvertible {
    public let description: String
}

/// A ledger file in a temporary folder, or a database on the test server.
private struct Scratch {
    let location: String
    let cleanUp: () -> Void

    init(_ backend: LedgerBackend) throws {
        switch backend {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kling-ledger-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            location = folder.appendingPathComponent("ledger.sqlite").path
            cleanUp = { try? FileManager.default.removeItem(at: folder) }
        case .postgres:
            guard let server = LedgerBackend.postgresServer, var url = URLComponents(string: server) else {
                throw ScratchError(description: "CI is set but KLING_LEDGER_TEST_POSTGRES is not: the PostgreSQL cases cannot run (bash .ci/run starts a server)")
            }
            let name = "kl_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
            try Self.admin(server, "CREATE DATABASE \(name)")
            url.path = "/" + name
            location = url.string ?? server
            // Dropped on a thread of its own: the test need not wait, nor hold one of Swift
            // concurrency's few pool threads while the server removes the files.
            cleanUp = { Thread { try? Self.admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }.start() }
        }
    }

    func remove() { cleanUp() }

    /// Runs one statement on the server's administrative database; the first column of its
    /// rows, as integers.
    @discardableResult
    static func admin(_ server: String, _ sql: String) throws -> [Int] {
        guard let url = URLComponents(string: server), let host = url.host else { throw ScratchError(description: "not a URL: KLING_LEDGER_TEST_POSTGRES") }
        let configuration = PostgresConnection.Configuration(
            host: host, port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password,
            database: String(url.path.drop(while: { $0 == "/" })), tls: .disable)
        let connection = try PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 0, logger: Logger(label: "test-admin")
        ).wait()
        defer { try? connection.close().wait() }
        let rows = try connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-admin")).wait()
        return rows.rows.compactMap { try? $0.decode(Int.self) }
    }
}
