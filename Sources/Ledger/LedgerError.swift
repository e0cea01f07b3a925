import Foundation
import CSQLite

/// Why the ledger could not be opened, read or written.
///
/// Descriptions carry SQLite's code and message and the SQL text, never the values bound to
/// it: ledger data (prompts, teams, amounts) stays out of logs and error output.
public enum LedgerError: Error, Sendable, Equatable {
    /// SQLite refused an operation.
    case sqlite(code: Int32, message: String, sql: String?)
    /// The file exists but is not an SQLite database.
    case notADatabase(path: String)
    /// The file is an SQLite database of some other program.
    case notALedger(path: String)
    /// The ledger was written by a newer KlingLedger.
    case newerSchema(path: String, found: Int, supported: Int)
    /// The folder for the ledger could not be created.
    case cannotCreateFolder(path: String, reason: String)
    /// A row broke an invariant the ledger relies on.
    case corrupt(String)
    /// The change does not fit the submission's or budget's current state; nothing was written.
    case conflict(String)
}

extension LedgerError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .sqlite(let code, let message, let sql):
            let name = String(cString: sqlite3_errstr(code))
            return "ledger error: SQLite \(code) (\(name)): \(message)" + (sql.map { " — in: \($0)" } ?? "")
        case .notADatabase(let path):
            return "\(path) is not an SQLite database, so it cannot be a KlingLedger ledger; it was left untouched. "
                + "Point --ledger (or KLING_LEDGER_DB) at a ledger file, or at a new path to start one"
        case .notALedger(let path):
            return "\(path) is an SQLite database of another program, not a KlingLedger ledger; it was left untouched. "
                + "Point --ledger (or KLING_LEDGER_DB) at a ledger file, or at a new path to start one"
        case .newerSchema(let path, let found, let supported):
            return "\(path) was written by a newer KlingLedger (schema version \(found); this one knows up to \(supported)); "
                + "it was left untouched. Upgrade kling-ledger to use it"
        case .cannotCreateFolder(let path, let reason):
            return "cannot create the ledger folder \(path): \(reason); choose another path with --ledger or KLING_LEDGER_DB"
        case .corrupt(let detail):
            return "the ledger holds an impossible value (\(detail)); it may have been edited by hand"
        case .conflict(let detail):
            return detail
        }
    }
}
