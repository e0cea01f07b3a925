/// One forward-only step of the ledger schema. Applied migrations are recorded in
/// `schema_migrations`; a migration is never edited once released, only followed by another.
struct Migration: Sendable {
    /// The schema version this migration brings the ledger to, counting from 1 without gaps.
    let version: Int
    let name: String
    let sql: String
    /// Rebuilds a table other tables refer to, the way SQLite documents it: with foreign keys
    /// off for the transaction (they cannot be turned off inside one) and checked before commit.
    var rebuildsTables = false
}
