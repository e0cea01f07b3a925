import Foundation

/// Checks and brings a PostgreSQL ledger's schema up to date. Two gateways starting at once
/// are safe: migrations run under a session advisory lock, and each re-reads the version first.
enum PostgresMigrator {
    static var latestVersion: Int { PostgresSchema.migrations.last?.version ?? 0 }
    /// The advisory lock migrations run under ("KLMG").
    static let migrationLock: Int64 = 0x4B4C_4D47

    /// The schema version recorded in the database; 0 for a database without a ledger.
    static func currentVersion(_ connection: PostgresLedgerConnection) throws(LedgerError) -> Int {
        let exists = try connection.queryOne("SELECT to_regclass('schema_migrations') IS NOT NULL AS present", []) { $0.int64("present") } ?? 0
        guard exists == 1 else { return 0 }
        return Int(try connection.queryOne("SELECT coalesce(max(version), 0) AS version FROM schema_migrations", []) { $0.int64("version") } ?? 0)
    }

    /// Refuses a database that is not a ledger, or one this build cannot read; migrates one
    /// that `access` may write.
    static func prepare(_ connection: PostgresLedgerConnection, access: Ledger.Access, now: Date = Date()) throws(LedgerError) {
        let name = connection.location.description
        if access == .read {
            connection.readOnlySession = true
            try connection.execute("SET default_transaction_read_only = on")
        }
        var version = try currentVersion(connection)
        if version == 0 {
            let tables = try connection.queryOne(
                "SELECT count(*) AS tables FROM information_schema.tables WHERE table_schema = current_schema()", []
            ) { $0.int64("tables") } ?? 0
            if tables > 0 { throw .notALedger(path: name) }
            if access != .create { throw .missing(path: name) }
        }
        guard version <= latestVersion else { throw .newerSchema(path: name, found: version, supported: latestVersion) }
        guard version < latestVersion else { return }
        if access == .read { throw .olderSchema(path: name, found: version, supported: latestVersion) }

        try connection.execute("SELECT pg_advisory_lock(\(migrationLock))")
        defer { try? connection.execute("SELECT pg_advisory_unlock(\(migrationLock))") }
        version = try currentVersion(connection)
        for migration in PostgresSchema.migrations where migration.version > version {
            try connection.write { () throws(LedgerError) in
                try connection.execute(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version BIGINT PRIMARY KEY,
                        name TEXT NOT NULL,
                        applied_at TEXT NOT NULL
                    )
                    """)
                try connection.execute(migration.sql)
                try connection.run(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [.integer(Int64(migration.version)), .text(migration.name), .text(Timestamp.string(now))])
            }
        }
    }
}
