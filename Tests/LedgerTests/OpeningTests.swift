import Foundation
import KlingCore
import Testing

@testable import Ledger

@Suite("Opening a ledger")
struct OpeningTests {
    @Test("A new ledger is durable: WAL, synchronous=FULL, foreign keys on, schema recorded")
    func newLedger() throws {
        try withLedger { ledger throws in
            try ledger.serialized { () throws in
            let connection = ledger.connection
            #expect(try connection.queryOne("PRAGMA journal_mode") { $0.text(0) } == "wal")
            #expect(try connection.queryOne("PRAGMA synchronous") { $0.int64(0) } == 2)  // FULL
            #expect(try connection.queryOne("PRAGMA foreign_keys") { $0.int64(0) } == 1)
            #expect(try connection.queryOne("PRAGMA application_id") { $0.int64(0) } == Int64(Ledger.applicationID))
            #expect(try Migrator.currentVersion(connection as! DatabaseConnection) == Ledger.schemaVersion)
            }
        }
    }

    @Test("The folder is created on first use")
    func createsFolder() throws {
        try withLedgerPath { path throws in
            let nested = URL(fileURLWithPath: path).deletingLastPathComponent()
                .appendingPathComponent("a/b/ledger.sqlite").path
            _ = try Ledger(path: nested)
            #expect(FileManager.default.fileExists(atPath: nested))
        }
    }

    @Test("Migrations are idempotent: reopening and re-migrating change nothing")
    func idempotentMigrations() throws {
        try withLedgerPath { path throws in
            let first = try Ledger(path: path)
            let schema = try first.read { db throws(LedgerError) in try db.query("SELECT type, name, sql FROM sqlite_schema ORDER BY name") {
                "\($0.text(0)) \($0.text(1)) \($0.text(2))"
            } }
            try first.serialized { () throws(LedgerError) in try Migrator.migrate(first.connection as! DatabaseConnection) }
            let second = try Ledger(path: path)
            try second.serialized { () throws(LedgerError) in try Migrator.migrate(second.connection as! DatabaseConnection) }
            #expect(try second.read { db throws(LedgerError) in try db.queryOne("SELECT count(*) FROM schema_migrations") { $0.int64(0) } } == Int64(Migrations.all.count))
            #expect(try second.read { db throws(LedgerError) in try db.query("SELECT type, name, sql FROM sqlite_schema ORDER BY name") {
                "\($0.text(0)) \($0.text(1)) \($0.text(2))"
            } } == schema)
        }
    }

    @Test("Two connections migrating a new file at once apply each migration once")
    func concurrentFirstOpen() throws {
        try withLedgerPath { path throws in
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { _ = try Ledger(path: path) } catch { failures.add("\(error)") }
            }
            #expect(failures.all.isEmpty)
            let ledger = try Ledger(path: path)
            #expect(try ledger.read { db throws(LedgerError) in try db.queryOne("SELECT count(*) FROM schema_migrations") { $0.int64(0) } } == Int64(Migrations.all.count))
        }
    }

    @Test("A file that is not SQLite is refused and left untouched")
    func notSQLite() throws {
        try withLedgerPath { path throws in
            let original = Data("date,amount\n2026-11-01,0.35\n".utf8)
            try original.write(to: URL(fileURLWithPath: path))
            #expect(throws: LedgerError.notADatabase(path: path)) { try Ledger(path: path) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }

    @Test("Another program's SQLite database is refused and left untouched")
    func otherDatabase() throws {
        try withLedgerPath { path throws in
            do {
                let other = try DatabaseConnection(path: path)
                try other.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY); INSERT INTO photos DEFAULT VALUES;")
            }
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(throws: LedgerError.notALedger(path: path)) { try Ledger(path: path) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
        }
    }

    @Test("A ledger written by a newer schema is refused and left untouched")
    func newerSchema() throws {
        try withLedgerPath { path throws in
            do {
                let ledger = try Ledger(path: path)
                try ledger.write { db throws(LedgerError) in try db.run(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', ?)",
                    [.integer(Int64(Ledger.schemaVersion + 1)), .text(Timestamp.string(Date()))]) }
            }
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(throws: LedgerError.newerSchema(path: path, found: Ledger.schemaVersion + 1, supported: Ledger.schemaVersion)) {
                try Ledger(path: path)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
            let message = LedgerError.newerSchema(path: path, found: 9, supported: 1).errorDescription ?? ""
            #expect(message.contains("newer KlingLedger") && message.contains("left untouched"))
        }
    }

    @Test("The ledger path: --ledger, else KLING_LEDGER_DB, else the XDG data folder")
    func defaultPath() {
        #expect(Ledger.path(option: "/x/l.sqlite", environment: ["KLING_LEDGER_DB": "/y/l.sqlite"]) == "/x/l.sqlite")
        #expect(Ledger.path(option: nil, environment: ["KLING_LEDGER_DB": "/y/l.sqlite"]) == "/y/l.sqlite")
        #expect(Ledger.path(option: nil, environment: ["HOME": "/home/ana"]) == "/home/ana/.local/share/kling-ledger/ledger.sqlite")
        #expect(Ledger.path(option: nil, environment: ["HOME": "/home/ana", "XDG_DATA_HOME": "/data"]) == "/data/kling-ledger/ledger.sqlite")
    }
}

/// Errors collected from several threads.
final class Failures: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}
