import CSQLite
import Foundation
import Synchronization

/// One connection to an SQLite file, configured for money: WAL with `synchronous=FULL` (a
/// committed transaction survives a power cut), foreign keys on, a busy timeout so concurrent
/// writers wait instead of failing, and writes only inside `BEGIN IMMEDIATE` transactions.
///
/// A `final class` because it owns a C handle that `deinit` closes. Not `Sendable`: SQLite
/// connections are opened without their own mutex, so each belongs to one thread or task at a
/// time; concurrent users open one connection each.
public final class DatabaseConnection: LedgerConnection {
    public var dialect: SQLDialect { .sqlite }

    private let handle: OpaquePointer
    /// The file's path.
    public let path: String

    /// How a connection may use its file.
    public enum Access: Sendable {
        /// Read and write, creating the file if it is missing.
        case readWrite
        /// Read only, through the file's write-ahead log (its `-wal` and `-shm` files exist).
        case readOnly
        /// Read only, with no locking and no `-wal`/`-shm` files: for a ledger whose log files are
        /// gone (written by a KlingLedger before they were kept), which a reader may not be able
        /// to create. No writer is active when it is opened; one that starts during a long read
        /// and closes again could fold its log into the file under the reader, so only what
        /// reads briefly should rely on it.
        case immutable
    }

    /// Opens (creating if needed and allowed) the database at `path`.
    ///
    /// The file is not modified here: journal mode and schema are set up by the caller after
    /// it has checked the file is one it may write.
    /// - Parameters:
    ///   - busyTimeout: how long a statement waits for another connection's lock.
    ///   - access: read-write (creating the file), or read-only.
    public init(path: String, busyTimeout: Duration = .seconds(30), access: Access = .readWrite) throws(LedgerError) {
        var handle: OpaquePointer?
        let (name, flags): (String, Int32) =
            switch access {
            case .readWrite: (path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            case .readOnly: (path, SQLITE_OPEN_READONLY)
            case .immutable: (Self.uri(path, query: "immutable=1"), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
            }
        let code = sqlite3_open_v2(name, &handle, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, Self.vfs)
        guard code == SQLITE_OK, let handle else {
            // SQLite allocates a handle even when opening fails; it must still be closed.
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(handle)
            throw .sqlite(code: code, message: message, sql: nil, path: path)
        }
        self.handle = handle
        self.path = path
        csqlite_disable_double_quoted_strings(handle)
        let milliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        // The timeout rides in the context pointer: the handler is a C function with no captures.
        sqlite3_busy_handler(handle, Self.busyHandler, UnsafeMutableRawPointer(bitPattern: Int(max(1, milliseconds))))
        MoneyFunctions.register(on: handle)
    }

    /// The ledger's VFS (see `csqlite_ledger_vfs` in the shim), registered on first use. Swift
    /// runs a static's initializer exactly once, so the C side registers it once; the pointer is
    /// to a constant name that nothing writes.
    nonisolated(unsafe) private static let vfs: UnsafePointer<CChar> = csqlite_ledger_vfs()

    /// `file:` URI of a path, with the characters a URI gives meaning to escaped.
    private static func uri(_ path: String, query: String) -> String {
        let escaped = path.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "?", with: "%3f")
            .replacingOccurrences(of: "#", with: "%23")
        return "file:\(escaped)?\(query)"
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Waits for another connection's lock in steps of a millisecond (a yield at first), until
    /// the busy timeout. SQLite's own handler sleeps up to 100 ms a step, so a waiter often sleeps
    /// long after the lock was freed: with many processes committing, throughput fell below
    /// that of two.
    private static let busyHandler: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32 = { context, count in
        let timeout = Int(bitPattern: context)
        if count < 4 {
            sched_yield()
            return 1
        }
        guard Int(count - 4) < timeout else { return 0 }
        usleep(1000)
        return 1
    }

    /// Transactions committed by every connection of this process, for benchmarks.
    public static var commitsSoFar: Int { commits.load(ordering: .relaxed) }
    private static let commits = Atomic<Int>(0)

    /// Switches to WAL with full durability and turns foreign keys and recursive triggers on
    /// (so that rows deleted by a REPLACE conflict fire the delete guards).
    /// - Throws: if WAL cannot be set (a file system without shared memory, for instance):
    ///   the ledger refuses to run without the durability it promises.
    func configureForLedger() throws(LedgerError) {
        let mode = try queryOne("PRAGMA journal_mode = WAL") { $0.text(0) }
        guard mode?.lowercased() == "wal" else {
            throw .sqlite(code: SQLITE_ERROR, message: "could not switch to WAL (journal mode is \(mode ?? "unknown"))", sql: nil, path: path)
        }
        try execute("PRAGMA synchronous = FULL")
        // Keep the -wal and -shm files when the last writer closes, so a user who may only read
        // the ledger reads it through them, with SQLite's locking, instead of having to create them.
        var persist: Int32 = 1
        sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
        // And leave the log for the next writer (or an automatic checkpoint every 1000 pages) to
        // fold in: a CLI process then syncs its own commits and nothing else.
        csqlite_no_checkpoint_on_close(handle)
        try execute("PRAGMA foreign_keys = ON")
        try execute("PRAGMA recursive_triggers = ON")
    }

    /// Runs one or more SQL statements that take no parameters.
    public func execute(_ sql: String) throws(LedgerError) {
        // A transaction's own statements run several times per submission: compiled once, kept.
        // (A compiled statement is one statement: a script goes through `sqlite3_exec`.)
        let control = Self.transactionControl.contains(where: sql.hasPrefix)
        if control, !sql.contains(";") { return try run(sql) }
        if !control { statements.removeAll() }  // DDL may change the schema
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            throw .sqlite(code: code, message: text, sql: sql, path: path)
        }
    }

    private static let transactionControl = ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"]

    /// Statements compiled before, by their SQL: the ledger runs the same few dozen over and
    /// over, and compiling one costs more than running it.
    private var statements: [String: Statement] = [:]

    /// The compiled statement for `sql`, from the cache or compiled now.
    private func prepared(_ sql: String) throws(LedgerError) -> Statement {
        if let cached = statements[sql] {
            if !cached.inUse {
                cached.inUse = true
                return cached
            }
            return try Statement(connection: handle, sql: sql)  // nested use of the same SQL: a statement of its own
        }
        let statement = try Statement(connection: handle, sql: sql)
        if statements.count >= 128 { statements.removeAll() }  // generated SQL (IN lists) must not grow it forever
        statements[sql] = statement
        statement.inUse = true
        return statement
    }

    /// Runs one statement with parameters, ignoring any rows.
    public func run(_ sql: String, _ values: [SQLValue] = []) throws(LedgerError) {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(values)
        while try statement.step() {}
    }

    /// Runs one query and maps each row.
    public func query<T>(
        _ sql: String, _ values: [SQLValue] = [], _ map: (Row) throws(LedgerError) -> T
    ) throws(LedgerError) -> [T] {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(values)
        var results: [T] = []
        while try statement.step() {
            results.append(try map(statement.row))
        }
        return results
    }

    /// Runs one query and maps its first row, if any.
    public func queryOne<T>(
        _ sql: String, _ values: [SQLValue] = [], _ map: (Row) throws(LedgerError) -> T
    ) throws(LedgerError) -> T? {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(values)
        return try statement.step() ? try map(statement.row) : nil
    }

    /// Runs one query that only reads, binding its named parameters (`:month`) from
    /// `parameters`, and hands over the column names, then each row as it is stepped: however
    /// many rows there are, only one is in memory at a time.
    ///
    /// - Throws: `LedgerError` if the SQL would write, uses a parameter not given, or fails;
    ///   anything `columns` or `row` throws.
    public func stream(
        _ sql: String, parameters: [String: SQLValue], columns: ([String]) throws -> Void, row: (Row) throws -> Void
    ) throws {
        let statement = try Statement(connection: handle, sql: sql)
        guard statement.isReadOnly else {
            throw LedgerError.sqlite(code: SQLITE_MISUSE, message: "a report may only read the ledger, and this definition would change it", sql: sql, path: path)
        }
        try statement.bind(named: parameters)
        try columns(statement.columnNames)
        // One statement outside a transaction reads one snapshot (WAL): writers go on meanwhile.
        while try statement.step() {
            try row(statement.row)
        }
    }

    /// How many `write`/`read` bodies are running on this connection, outermost first.
    private var depth = 0

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so two
    /// writers never both read, decide and then collide; the second waits (busy timeout). Any
    /// error rolls the whole transaction back.
    ///
    /// Inside another transaction it is a savepoint instead: an error undoes this body's
    /// changes only, and the outer transaction decides whether anything is kept.
    public func write<T>(_ body: () throws(LedgerError) -> T) throws(LedgerError) -> T {
        let nested = depth > 0
        try execute(nested ? "SAVEPOINT nested_write" : "BEGIN IMMEDIATE")
        depth += 1
        defer { depth -= 1 }
        do {
            let result = try body()
            if nested {
                try execute("RELEASE nested_write")
            } else {
                try execute("COMMIT")
                Self.commits.add(1, ordering: .relaxed)
            }
            return result
        } catch {
            if nested {
                try? execute("ROLLBACK TO nested_write")
                try? execute("RELEASE nested_write")
            } else if sqlite3_get_autocommit(handle) == 0 {
                // A failed COMMIT may already have ended the transaction; then there is nothing to undo.
                try? execute("ROLLBACK")
            }
            throw error
        }
    }

    /// Runs `body` in a read transaction, so its queries see one consistent snapshot (inside
    /// another transaction, that one's).
    public func read<T>(_ body: () throws(LedgerError) -> T) throws(LedgerError) -> T {
        guard depth == 0 else { return try body() }
        try execute("BEGIN DEFERRED")
        depth += 1
        defer {
            depth -= 1
            try? execute("COMMIT")
        }
        return try body()
    }

    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The row id of the last insert on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}
