import Foundation
import LedgerTestSupport
import Testing

@testable import Ledger

@Suite("Backends")
struct BackendTests {
    /// Without a server the PostgreSQL cases do not run; this test is then skipped, saying why.
    @Test(
        "PostgreSQL is tested: a server answers, and a new database becomes a ledger at the latest schema",
        .enabled(if: LedgerBackend.postgresSkipReason == nil, Comment(rawValue: LedgerBackend.postgresSkipReason ?? "")))
    func postgresIsTested() throws {
        try LedgerBackend.postgres.withScratchLocation { url in
            let ledger = try Ledger(path: url)
            #expect(try ledger.read { db throws(LedgerError) in db.dialect } == .postgres)
            let version = try ledger.read { db throws(LedgerError) in
                try db.queryOne("SELECT max(version) AS version FROM schema_migrations", []) { $0.int64("version") }
            }
            #expect(version == Int64(PostgresMigrator.latestVersion))
            #expect(!ledger.location.contains(URLComponents(string: url)?.password ?? "no password"), "the shown location has no password")
        }
    }
}
