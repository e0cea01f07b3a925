import Foundation
import Synchronization

/// The KlingLedger ledger: one SQLite file holding every submission and every movement of
/// money. All SQL lives in this module, so another backend is this module's work alone.
///
/// A store in GRDB's sense: opened, checked and migrated once, then shared by every task of a
/// process. Its one connection is reached only inside its methods and the `read { }` and
/// `write { }` closures, one thread at a time; other processes on the same file are kept
/// consistent by SQLite's locking and `BEGIN IMMEDIATE`.
public final class Ledger: Sendable {
    private let database: SerializedConnection
    /// Started on the first `batched` write.
    private let writer = Mutex<GroupCommitWriter?>(nil)
    /// `?connections=1`: batched writes run on this store's own connection.
    private let batchesInline: Bool
    /// The connection, for the ledger's own methods, which hold it.
    var connection: any LedgerConnection { database.owned }
    /// The ledger file, or the PostgreSQL URL (which may hold a password: show `location`).
    public let path: String

    /// Where the ledger is, as it may be shown: the file, or the server without its password.
    public var location: String { Self.displayName(path) }

    /// A ledger path or URL as it may be shown: a URL's password is never printed.
    public static func displayName(_ path: String) -> String {
        guard PostgresLocation.isURL(path) else { return path }
        return (try? PostgresLocation(url: path).description) ?? PostgresLocation.redacted(path)
    }

    /// `PRAGMA application_id` of a KlingLedger ledger ("KLDG"), telling it apart from other
    /// programs' SQLite files.
    static let applicationID: Int32 = 0x4B4C_4447

    /// The schema version this build reads and writes.
    public static var schemaVersion: Int { Migrator.latestVersion }

    /// The environment variable naming the ledger file.
    public static let environmentVariable = "KLING_LEDGER_DB"

    /// What a command needs of the ledger file.
    public enum Access: Sendable, Equatable {
        /// Only reads: the file must exist; it is opened read-only, never migrated and never
        /// given `-wal`/`-shm` files by the reader. Works on a ledger the user can only read.
        case read
        /// Writes to an existing ledger (brought up to date first); a missing file is refused.
        case write
        /// Writes, and starts a new ledger (and its folder) when there is none.
        case create
    }

    /// Whether this ledger was opened read-only.
    public let isReadOnly: Bool

    /// Opens the ledger at `path`.
    ///
    /// A file that is not SQLite, another program's database, or a ledger written by a newer
    /// schema is refused before anything is written to it.
    /// - Parameters:
    ///   - access: read only, write, or write and create (the default, as the library's callers
    ///     expect).
    ///   - busyTimeout: how long to wait for another process's write lock.
    public init(path: String, access: Access = .create, busyTimeout: Duration = .seconds(30)) throws(LedgerError) {
        if PostgresLocation.isURL(path) {
            let location = try PostgresLocation(url: path)
            let connection = try PostgresLedgerConnection(location)
            try PostgresMigrator.prepare(connection, access: access)
            self.batchesInline = location.connections == 1
            self.path = path
            self.isReadOnly = access == .read
            self.database = SerializedConnection(connection)
            return
        }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists, isDirectory.boolValue { throw .isADirectory(path: path) }
        if !exists, access != .create { throw .missing(path: path) }
        if access == .create { try Self.createFolder(of: path) }
        try Self.checkIsSQLite(path)
        self.path = path
        self.isReadOnly = access == .read
        if access == .read {
            // With its log files present a writer may be active: read through them. Without
            // them the ledger is checkpointed, and opening it normally would create them.
            let log = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? nil
            let logged = log != nil && FileManager.default.fileExists(atPath: path + "-shm")
            // A log with entries but no -shm: read immutable, those entries would be silently missed.
            if !logged, let log, log > 0 { throw .incompleteCopy(path: path) }
            let connection = try DatabaseConnection(path: path, busyTimeout: busyTimeout, access: logged ? .readOnly : .immutable)
            try Self.checkIsLedger(connection, path: path, readOnly: true)
            self.database = SerializedConnection(connection)
            self.batchesInline = false
            return
        }
        if exists {
            try Self.checkIsLedger(try DatabaseConnection(path: path, busyTimeout: busyTimeout, access: .readOnly), path: path, readOnly: false)
        }
        let connection = try DatabaseConnection(path: path, busyTimeout: busyTimeout)
        try connection.configureForLedger()
        try Migrator.migrate(connection)
        self.database = SerializedConnection(connection)
        self.batchesInline = false
    }

    // MARK: The connection

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction (a savepoint inside another): all of
    /// it is kept, or none. For work the ledger's methods do not cover, and for tests.
    public func write<T>(_ body: (any LedgerConnection) throws(LedgerError) -> T) throws(LedgerError) -> T {
        try serialized { () throws(LedgerError) in
            let connection = connection
            return try connection.write { () throws(LedgerError) in try body(connection) }
        }
    }

    /// Runs `body` on one consistent snapshot of the ledger.
    public func read<T>(_ body: (any LedgerConnection) throws(LedgerError) -> T) throws(LedgerError) -> T {
        try serialized { () throws(LedgerError) in
            let connection = connection
            return try connection.read { () throws(LedgerError) in try body(connection) }
        }
    }

    /// A report's SQL, which may only read: refused if it would change anything. Its named
    /// parameters are bound from `parameters`; the column names come first, then each row as
    /// it is read, one at a time.
    public func stream(
        report sql: String, parameters: [String: SQLValue], columns: ([String]) throws -> Void, row: (Row) throws -> Void
    ) throws {
        try serialized { () throws in try connection.stream(sql, parameters: parameters, columns: columns, row: row) }
    }

    /// Runs `body` in a transaction shared with the other writes queued at the same moment, on
    /// the ledger's writer thread and its own connection: one fsync for all of them, and the
    /// calling task waits without holding a thread. `body` runs in a savepoint, so its failure
    /// undoes only its own changes; the result comes back once it is durable.
    ///
    /// For the short, hot writes of many concurrent callers (the gate's holds and records).
    public func batched<T: Sendable>(_ body: @escaping @Sendable (Ledger) throws -> T) async throws -> T {
        if batchesInline {
            // One connection only: the write runs on the store's own, as a transaction of its own.
            var outcome: Result<T, any Error>?
            try write { _ throws(LedgerError) in outcome = Result { try savepoint { try body(self) } } }
            return try outcome.map { try $0.get() } ?? { throw LedgerError.corrupt("a batched write that never ran") }()
        }
        let writer = try writer.withLock { writer throws(LedgerError) -> GroupCommitWriter in
            if let writer { return writer }
            let started = GroupCommitWriter(ledger: try Ledger(path: path, access: .write))
            writer = started
            return started
        }
        return try await writer.perform(body)
    }

    /// Transactions the `batched` writer has committed (for tests and benchmarks).
    public var batchedTransactions: Int { writer.withLock { $0?.transactionsCommitted ?? 0 } }

    deinit {
        writer.withLock { $0?.stop() }
    }

    /// Whether the connection's transaction is still open.
    var isInTransaction: Bool { serialized { connection.isInTransaction } }

    /// Runs `body` in a savepoint of the transaction under way: whatever it throws, its own
    /// changes are undone and the transaction goes on.
    func savepoint<T>(_ body: () throws -> T) throws -> T {
        try serialized { () throws -> T in
            try connection.execute("SAVEPOINT batched_write")
            do {
                let result = try body()
                try connection.execute("RELEASE batched_write")
                return result
            } catch {
                try? connection.execute("ROLLBACK TO batched_write")
                try? connection.execute("RELEASE batched_write")
                throw error
            }
        }
    }

    /// Folds the write-ahead log into the file, so that a copy of the file alone holds every
    /// committed transaction.
    public func checkpoint() throws(LedgerError) {
        try serialized { () throws(LedgerError) in
            guard connection.dialect == .sqlite else { return }  // a server has no log file to fold in
            try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    /// Runs `body` holding the connection: every public method's body runs inside it.
    @discardableResult
    func serialized<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try database.with(body)
    }

    /// The ledger file in force: `option` (`--ledger`) if given, else `KLING_LEDGER_DB`, else
    /// `$XDG_DATA_HOME/kling-ledger/ledger.sqlite`, by default
    /// `~/.local/share/kling-ledger/ledger.sqlite`.
    ///
    /// The option wins over the environment, as flags do everywhere: a command line names the
    /// ledger it means more precisely than an exported variable.
    public static func path(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let option, !option.isEmpty { return option }
        if let path = environment[environmentVariable], !path.isEmpty { return path }
        let dataHome =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return dataHome + "/kling-ledger/ledger.sqlite"
    }

    private static func createFolder(of path: String) throws(LedgerError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreateFolder(path: folder.path, reason: error.localizedDescription)
        }
    }

    /// An existing, non-empty file must start with SQLite's header. Checked before SQLite opens
    /// it, so that not even a journal-mode change touches someone else's file.
    private static func checkIsSQLite(_ path: String) throws(LedgerError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }  // new file
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        guard header.isEmpty || header == Data("SQLite format 3\0".utf8) else {
            throw .notADatabase(path: path)
        }
    }

    /// An existing database must be empty or one of ours, at a schema version we know (exactly
    /// the latest for a read-only opening, which cannot migrate). Checked on a read-only
    /// connection, so not even a leftover journal is replayed into a file that turns out not to
    /// be ours.
    private static func checkIsLedger(_ connection: DatabaseConnection, path: String, readOnly: Bool) throws(LedgerError) {
        let tables: Int64
        let applicationID: Int64
        let userVersion: Int64
        do {
            tables = try connection.queryOne("SELECT count(*) FROM sqlite_schema") { $0.int64(0) } ?? 0
            applicationID = try connection.queryOne("PRAGMA application_id") { $0.int64(0) } ?? 0
            userVersion = try connection.queryOne("PRAGMA user_version") { $0.int64(0) } ?? 0
        } catch .sqlite(let code, _, _, _) where code & 0xFF == 26 {  // SQLITE_NOTADB
            throw .notADatabase(path: path)
        }
        // A fresh file (no tables, no marks) becomes a ledger; anything else must carry our id.
        if tables == 0, applicationID == 0, userVersion == 0 {
            if readOnly { throw .missing(path: path) }
            return
        }
        guard applicationID == Int64(Self.applicationID) else { throw .notALedger(path: path) }
        let version = try Migrator.currentVersion(connection)
        guard version <= Migrator.latestVersion else {
            throw .newerSchema(path: path, found: version, supported: Migrator.latestVersion)
        }
        if readOnly, version < Migrator.latestVersion {
            throw .olderSchema(path: path, found: version, supported: Migrator.latestVersion)
        }
    }
}
