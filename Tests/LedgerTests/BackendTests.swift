import Foundation
import KlingCore
import LedgerTestSupport
import Testing

@testable import Ledger

/// Every case blocks on PostgreSQL's round trips, so each runs on threads of its own
/// (`withScratchLocation`'s async form), never on the few threads the other tests' servers need.
@Suite("Backends")
struct BackendTests {
    /// Without a server the PostgreSQL cases do not run; this test is then skipped, saying why.
    @Test(
        "PostgreSQL is tested: a server answers, and a new database becomes a ledger at the latest schema",
        .needsPostgres)
    func postgresIsTested() async throws {
        try await LedgerBackend.postgres.withScratchLocation { url in
            let ledger = try Ledger(path: url)
            #expect(try ledger.read { db throws(LedgerError) in db.dialect } == .postgres)
            let version = try ledger.read { db throws(LedgerError) in
                try db.queryOne("SELECT max(version) AS version FROM schema_migrations", []) { $0.int64("version") }
            }
            #expect(version == Int64(PostgresMigrator.latestVersion))
            #expect(!ledger.location.contains(URLComponents(string: url)?.password ?? "no password"), "the shown location has no password")
        }
    }

    /// A restarted or failed-over server ends every session: the ledger must connect again on
    /// its own, for a lone read as for a transaction, or a gateway on it answers nothing until
    /// it is restarted too. `pg_terminate_backend` ends a session as a server's shutdown does.
    @Test(
        "A ledger on PostgreSQL connects again after the server ended its session, for reads and writes",
        .needsPostgres)
    func reconnects() async throws {
        try await LedgerBackend.postgres.withScratchLocation { url in
            let ledger = try Ledger(path: url)
            _ = try ledger.budgets()
            #expect(try LedgerBackend.endSessions(of: url) == 1)
            #expect(throws: Never.self) { _ = try ledger.timeZone() }  // a lone read, outside any transaction
            #expect(try LedgerBackend.endSessions(of: url) == 1)
            #expect(throws: Never.self) {
                _ = try ledger.setBudget(BudgetSpec(scope: .team("ops"), period: .month, limit: USD(micros: 5_000_000)))
            }
            #expect(try ledger.budgets().count == 1)
        }
    }

    /// A report on PostgreSQL comes through a cursor, a batch at a time, so a month of a shared
    /// ledger is never read into memory whole: every row arrives, in order, at each batch edge.
    @Test(
        "A PostgreSQL report streams every row through its cursor, across batch edges, with its column names even when empty",
        .needsPostgres)
    func reportCursor() async throws {
        try await LedgerBackend.postgres.withScratchLocation { url in
            let ledger = try Ledger(path: url)
            let batch = PostgresLedgerConnection.reportBatch
            for count in [0, 1, batch - 1, batch, batch + 1, 2 * batch + 500] {
                var names: [String] = []
                var numbers: [Int64] = []
                try ledger.stream(
                    report: "SELECT n, 'row ' || n AS label FROM generate_series(1, :count) AS n ORDER BY n;",
                    parameters: ["count": .integer(Int64(count))], columns: { names = $0 },
                    row: { row in
                        #expect(row.text("label") == "row \(row.int64("n"))")
                        numbers.append(row.int64("n"))
                    })
                #expect(names == ["n", "label"], "\(count) rows")
                #expect(numbers == (0..<count).map { Int64($0 + 1) }, "\(count) rows")
            }
            // Still read-only: a write hidden in a report is refused, and changes nothing.
            let zone = try ledger.timeZone()
            #expect(throws: LedgerError.self) {
                try ledger.stream(
                    report: "WITH gone AS (DELETE FROM ledger_settings RETURNING key) SELECT key FROM gone", parameters: [:], columns: { _ in },
                    row: { _ in })
            }
            #expect(try ledger.timeZone() == zone)
            #expect(try ledger.read { db throws(LedgerError) in try db.queryOne("SELECT count(*) AS n FROM ledger_settings", []) { $0.int64("n") } } ?? 0 > 0)
        }
    }

    /// `sslmode` as libpq reads it, against the CI server's self-signed certificate.
    @Test(
        "TLS follows sslmode: prefer by default, disable, require, and verify-ca / verify-full against sslrootcert; an untrusted server is refused, saying how to trust it",
        .needsPostgresTLS)
    func tls() async throws {
        let authority = try #require(LedgerBackend.postgresCA, "KLING_LEDGER_TEST_POSTGRES_CA names the test server's certificate")
        try await LedgerBackend.postgres.withScratchLocation { (url: String) async throws in
            let encrypted = { (options: String) throws -> Bool in try Self.encrypted(url + options) }
            #expect(try PostgresLocation(url: url, environment: [:]).tls == .prefer, "prefer unless the URL or PGSSLMODE says otherwise")
            #expect(try PostgresLocation(url: url, environment: ["PGSSLMODE": "require"]).tls == .require)
            #expect(try encrypted("?sslmode=prefer"))
            #expect(try encrypted("?sslmode=disable") == false)
            #expect(try encrypted("?sslmode=require"))
            #expect(try encrypted("?sslmode=verify-ca&sslrootcert=\(authority)"))
            #expect(try encrypted("?sslmode=verify-full&sslrootcert=\(authority)"))
            // The system's authorities did not sign the test server's certificate.
            #expect { _ = try encrypted("?sslmode=verify-full") } throws: { "\($0)".contains("sslrootcert=PATH") }
            #expect { _ = try encrypted("?sslmode=sometimes") } throws: { "\($0)".contains("verify-full") }
            #expect { _ = try encrypted("?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem") } throws: { "\($0)".contains("not a readable file") }
        }
    }

    /// Whether a ledger opened at `location` talks to its server over TLS.
    private static func encrypted(_ location: String) throws -> Bool {
        let ledger = try Ledger(path: location)
        return try ledger.read { db throws(LedgerError) in
            try db.queryOne("SELECT ssl::int AS encrypted FROM pg_stat_ssl WHERE pid = pg_backend_pid()", []) { $0.int64("encrypted") }
        } == 1
    }
}
