import Foundation

/// Brings a ledger's schema up to date, one recorded migration at a time.
enum Migrator {
    /// The schema version this build writes.
    static var latestVersion: Int { Migrations.all.last?.version ?? 0 }

    /// The schema version recorded in the database, or 0 for a new, empty one. Only reads.
    static func currentVersion(_ connection: DatabaseConnection) throws(LedgerError) -> Int {
        let hasTable = try connection.queryOne(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'"
        ) { $0.int64(0) } ?? 0
        guard hasTable > 0 else { return 0 }
        return Int(try connection.queryOne("SELECT coalesce(max(version), 0) FROM schema_migrations") { $0.int64(0) } ?? 0)
    }

    /// Applies every migration the ledger lacks, each in its own `BEGIN IMMEDIATE` transaction
    /// that re-reads the version first: two processes opening a new ledger at once apply each
    /// migration exactly once. Running it again on an up-to-date ledger changes nothing.
    /// - Parameter target: the version to stop at (tests build older ledgers with it).
    static func migrate(_ connection: DatabaseConnection, upTo target: Int = latestVersion, now: Date = Date()) throws(LedgerError) {
        for migration in Migrations.all where migration.version > (try currentVersion(connection)) && migration.version <= target {
            if migration.rebuildsTables { try connection.execute("PRAGMA foreign_keys = OFF") }
            defer { if migration.rebuildsTables { try? connection.execute("PRAGMA foreign_keys = ON") } }
            try connection.write { () throws(LedgerError) in
                guard try currentVersion(connection) < migration.version else { return }
                try connection.execute(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        applied_at TEXT NOT NULL
                    ) STRICT;
                    PRAGMA application_id = \(Ledger.applicationID);
                    """)
                try connection.execute(migration.sql)
                if migration.rebuildsTables, let broken = try connection.queryOne("PRAGMA foreign_key_check", [], { $0.text(0) }) {
                    throw .corrupt("migration \(migration.version) left rows in \(broken) pointing nowhere")
                }
                try connection.run(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [.integer(Int64(migration.version)), .text(migration.name), .text(Timestamp.string(now))])
            }
        }
    }
}
