import Foundation
import CSQLite

/// Why the ledger could not be opened, read or written.
///
/// Descriptions name the ledger file and say what to do. They never carry SQL text or the values
/// bound to it: ledger data (prompts, teams, amounts) stays out of logs and error output. The
/// SQL is kept for `debugDescription` only, for a developer reading a test failure.
public enum LedgerError: Error, Sendable, Equatable {
    /// SQLite refused an operation on the ledger at `path`.
    case sqlite(code: Int32, message: String, sql: String?, path: String = "")
    /// There is no ledger at the path, and the command only reads (or needs an existing one).
    case missing(path: String)
    /// The path is a folder, not a file.
    case isADirectory(path: String)
    /// The file exists but is not an SQLite database.
    case notADatabase(path: String)
    /// The file is an SQLite database of some other program.
    case notALedger(path: String)
    /// The ledger was written by a newer KlingLedger.
    case newerSchema(path: String, found: Int, supported: Int)
    /// The ledger was written by an older KlingLedger and a read-only command cannot upgrade it.
    case olderSchema(path: String, found: Int, supported: Int)
    /// A copy with the write-ahead log but without its `-shm` file: read-only, its latest entries
    /// cannot be read safely.
    case incompleteCopy(path: String)
    /// The folder for the ledger could not be created.
    case cannotCreateFolder(path: String, reason: String)
    /// No submission, budget or target with that id.
    case notFound(String)
    /// A row broke an invariant the ledger relies on.
    case corrupt(String)
    /// The change does not fit the submission's or budget's current state; nothing was written.
    case conflict(String)
    /// PostgreSQL refused a statement (`server` names it without the password).
    case postgres(sqlState: String, message: String, sql: String?, server: String)
    /// The PostgreSQL server could not be reached or refused the connection.
    case unreachable(server: String, reason: String)
    /// The ledger's location cannot be used as written.
    case badLocation(String)

    /// What kind of failure this is, for the command line's exit codes.
    public enum Kind: Sendable {
        /// No ledger file at the path.
        case missing
        /// The caller may not write (or read) the file.
        case permission
        /// A record asked for does not exist, or is not in a state for the change.
        case data
        /// The file cannot be used: not a ledger, damaged, locked, a disk error.
        case unusable
    }

    public var kind: Kind {
        switch self {
        case .missing: .missing
        case .notFound, .conflict: .data
        case .postgres(let state, _, _, _):
            // 42501 insufficient privilege; 23… integrity; P0001 a trigger's refusal; 25006 a
            // write in a read-only transaction.
            state == "42501" || state == "25006" ? .permission : state.hasPrefix("23") || state == "P0001" ? .data : .unusable
        case .sqlite(let code, _, _, _):
            switch code & 0xFF {
            case SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH: .permission
            case SQLITE_CONSTRAINT: .data
            default: .unusable
            }
        default: .unusable
        }
    }
}

extension LedgerError: LocalizedError, CustomDebugStringConvertible {
    public var errorDescription: String? {
        switch self {
        case .sqlite(let code, let message, _, let path):
            return Self.describe(code: code, message: message, path: path.isEmpty ? "the ledger" : path)
        case .missing(let path):
            return "there is no ledger at \(path); check --ledger (or KLING_LEDGER_DB). "
                + "Only commands that record something (submit, budget set, alerts target add) start a new one"
        case .isADirectory(let path):
            return "\(path) is a folder, not a ledger file; point --ledger (or KLING_LEDGER_DB) at a file such as \(path)/ledger.sqlite"
        case .notADatabase(let path):
            return "\(path) is not an SQLite database, so it cannot be a KlingLedger ledger; it was left untouched. "
                + "Point --ledger (or KLING_LEDGER_DB) at a ledger file, or at a new path to start one"
        case .notALedger(let path):
            return "\(path) is an SQLite database of another program, not a KlingLedger ledger; it was left untouched. "
                + "Point --ledger (or KLING_LEDGER_DB) at a ledger file, or at a new path to start one"
        case .newerSchema(let path, let found, let supported):
            return "\(path) was written by a newer KlingLedger (schema version \(found); this one knows up to \(supported)); "
                + "it was left untouched. Upgrade kling-ledger to use it"
        case .olderSchema(let path, let found, let supported):
            return "\(path) was written by an older KlingLedger (schema version \(found); this one reads \(supported)) and "
                + "this command only reads it. Upgrade it once, as a user who can write it: kling-ledger sync --ledger \(path)"
        case .incompleteCopy(let path):
            return "\(path)-wal holds entries not yet in \(path), but \(path)-shm is missing, so a read-only reader cannot read them safely. "
                + "Copy all three files together, or make a consistent copy with: sqlite3 \(path) \".backup copy.sqlite\""
        case .cannotCreateFolder(let path, let reason):
            return "cannot create the ledger folder \(path): \(reason); choose another path with --ledger or KLING_LEDGER_DB"
        case .notFound(let detail), .conflict(let detail):
            return detail
        case .corrupt(let detail):
            return "the ledger holds an impossible value (\(detail)); it may have been edited by hand"
        case .postgres(let state, let message, _, let server):
            switch state {
            case "42501": return "\(server) refused this user: \(message). Ask its owner for the privileges, or use another --ledger"
            case "P0001", _ where state.hasPrefix("23"): return "the ledger \(server) refused the change: \(message)"
            case "57014": return "a statement on \(server) ran past the statement timeout and was cancelled; nothing of it was written"
            default: return "the ledger \(server) could not be used: \(message)"
            }
        case .unreachable(let server, let reason):
            return "cannot reach the ledger \(server): \(reason). Check the host, port and database in --ledger (or KLING_LEDGER_DB), "
                + "and the password (in the URL, PGPASSWORD or ~/.pgpass)"
        case .badLocation(let detail):
            return detail
        }
    }

    public var debugDescription: String {
        if case .sqlite(let code, let message, let sql, let path) = self {
            return "SQLite \(code) on \(path): \(message)" + (sql.map { " — in: \($0)" } ?? "")
        }
        if case .postgres(let state, let message, let sql, let server) = self {
            return "PostgreSQL \(state) on \(server): \(message)" + (sql.map { " — in: \($0)" } ?? "")
        }
        return errorDescription ?? "\(self)"
    }

    /// SQLite's failures in words a user can act on.
    private static func describe(code: Int32, message: String, path: String) -> String {
        switch code & 0xFF {
        case SQLITE_READONLY, SQLITE_PERM:
            return "\(path) cannot be written by this user; read-only commands (list, status, budget list, report) still work. "
                + "Ask its owner for write access, or point --ledger at a ledger you own"
        case SQLITE_CANTOPEN:
            return "cannot open the ledger \(path): check that the path is right and that its folder exists and is readable"
        case SQLITE_BUSY, SQLITE_LOCKED:
            return "\(path) is locked by another process for longer than the wait allows; try again, or look for a stuck kling-ledger process"
        case SQLITE_FULL:
            return "the disk holding \(path) is full; nothing was written. Free some space and try again"
        case SQLITE_IOERR:
            return "a disk error on \(path); nothing was written. Check the file system (is the path a file on a local disk?)"
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return "\(path) is damaged; restore it from a backup (`sqlite3 \(path) .recover` may save its rows)"
        case SQLITE_CONSTRAINT:
            return "the ledger \(path) refused the change: \(message)"
        default:
            return "the ledger \(path) could not be used: \(message)"
        }
    }
}
