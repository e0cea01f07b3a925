import CSQLite
import Foundation

/// A prepared statement: compiled in `init`, finalized in `deinit`, so no statement outlives
/// its use or leaks a lock.
///
/// Not `Sendable`: a statement belongs to its connection's thread.
final class Statement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer
    let sql: String

    /// Compiles exactly one statement.
    /// - Throws: if the SQL does not compile, or holds more than one statement (the rest would
    ///   silently not run).
    init(connection: OpaquePointer, sql: String) throws(LedgerError) {
        var handle: OpaquePointer?
        var remainder = ""
        let code = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(connection, text, -1, 0, &handle, &tail)
            remainder = tail.map { String(cString: $0) } ?? ""
            return code
        }
        guard code == SQLITE_OK, let handle else {
            sqlite3_finalize(handle)
            throw .sqlite(code: code, message: String(cString: sqlite3_errmsg(connection)), sql: sql, path: Self.path(of: connection))
        }
        guard remainder.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(.init(charactersIn: ";"))).isEmpty
        else {
            sqlite3_finalize(handle)
            throw .sqlite(code: SQLITE_MISUSE, message: "more than one statement given; run them one by one", sql: sql, path: Self.path(of: connection))
        }
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// The file of a connection's main database, for error messages.
    static func path(of connection: OpaquePointer) -> String {
        sqlite3_db_filename(connection, "main").map { String(cString: $0) } ?? ""
    }

    /// Resets the statement and binds `values` to its parameters, in order.
    func bind(_ values: [SQLValue]) throws(LedgerError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard values.count == expected else {
            throw .sqlite(
                code: SQLITE_RANGE, message: "\(values.count) values bound to \(expected) parameters", sql: sql, path: Self.path(of: connection))
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code =
                switch value {
                case .integer(let integer): sqlite3_bind_int64(handle, index, integer)
                case .text(let text): sqlite3_bind_text(handle, index, text, -1, csqlite_transient())
                case .null: sqlite3_bind_null(handle, index)
                }
            try check(code)
        }
    }

    /// Resets the statement and binds each named parameter it uses (`:name`, `@name` or
    /// `$name`) from `values`, keyed without the prefix.
    /// - Throws: if the statement uses a positional parameter or a name not in `values`.
    func bind(named values: [String: SQLValue]) throws(LedgerError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for index in 0..<sqlite3_bind_parameter_count(handle) {
            guard let cName = sqlite3_bind_parameter_name(handle, index + 1) else {
                throw .sqlite(code: SQLITE_RANGE, message: "use named parameters (:name), not ?", sql: sql, path: Self.path(of: connection))
            }
            let name = String(String(cString: cName).dropFirst())
            guard let value = values[name] else {
                let known = values.keys.sorted().map { ":" + $0 }.joined(separator: ", ")
                throw .sqlite(code: SQLITE_RANGE, message: "unknown parameter :\(name); the parameters given are \(known)", sql: sql, path: Self.path(of: connection))
            }
            let code =
                switch value {
                case .integer(let integer): sqlite3_bind_int64(handle, index + 1, integer)
                case .text(let text): sqlite3_bind_text(handle, index + 1, text, -1, csqlite_transient())
                case .null: sqlite3_bind_null(handle, index + 1)
                }
            try check(code)
        }
    }

    /// Whether the statement leaves the database unchanged.
    var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    /// The names of the result columns.
    var columnNames: [String] {
        (0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) }
    }

    /// Each result column's index by its name, worked out once per compiled statement.
    private(set) lazy var columnIndex: [String: Int32] = Dictionary(
        columnNames.enumerated().map { ($0.element, Int32($0.offset)) }, uniquingKeysWith: { first, _ in first })

    /// Advances to the next row. - Returns: `false` when the statement is done.
    func step() throws(LedgerError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            throw .sqlite(code: code, message: String(cString: sqlite3_errmsg(connection)), sql: sql, path: Self.path(of: connection))
        }
    }

    /// Ends the statement's current run, so that it holds no read snapshot while it waits in
    /// the cache for its next use (bindings are cleared on the next `bind`).
    func reset() {
        sqlite3_reset(handle)
        inUse = false
    }

    /// Whether a caller is stepping through it: a cached statement in use is not handed out
    /// again (a query run from inside another's row would rewind it).
    var inUse = false

    /// The current row.
    var row: Row { Row(statement: self) }

    var rowHandle: OpaquePointer { handle }

    private func check(_ code: Int32) throws(LedgerError) {
        guard code == SQLITE_OK else {
            throw .sqlite(code: code, message: String(cString: sqlite3_errmsg(connection)), sql: sql, path: Self.path(of: connection))
        }
    }
}

/// The current row of a query, read by column name (or by index, for a report's columns
/// whatever they are called). Valid only inside the closure it is passed to: the next step
/// replaces its values.
///
/// From SQLite it reads the statement's columns in place; from PostgreSQL, the values the
/// server sent. Either way a column reads as SQLite reads it: an integer as text gives its
/// digits, text as an integer its number (or 0), `NULL` as "" or 0.
public struct Row {
    private enum Source {
        /// Holding the statement keeps it from being finalized while its columns are read.
        case statement(Statement)
        case values(ReadValues)
    }

    /// A row already read, with its column names.
    final class ReadValues {
        let names: [String]
        let index: [String: Int32]
        var cells: [SQLValue] = []

        init(names: [String]) {
            self.names = names
            self.index = Dictionary(names.enumerated().map { ($0.element, Int32($0.offset)) }, uniquingKeysWith: { first, _ in first })
        }
    }

    private let source: Source

    fileprivate init(statement: Statement) {
        self.source = .statement(statement)
    }

    init(values: ReadValues) {
        self.source = .values(values)
    }

    /// The index of the column called `name`. A name the query does not select is a
    /// programming error, caught by the first test that reads it.
    private func index(_ name: String) -> Int32 {
        let found: Int32? =
            switch source {
            case .statement(let statement): statement.columnIndex[name]
            case .values(let values): values.index[name]
            }
        guard let found else { preconditionFailure("no column \(name) in this query") }
        return found
    }

    public func isNull(_ name: String) -> Bool { isNull(index(name)) }
    public func int64(_ name: String) -> Int64 { int64(index(name)) }
    public func optionalInt64(_ name: String) -> Int64? { optionalInt64(index(name)) }
    public func text(_ name: String) -> String { text(index(name)) }
    public func optionalText(_ name: String) -> String? { optionalText(index(name)) }

    /// Whether the column holds `NULL`.
    public func isNull(_ column: Int32) -> Bool {
        switch source {
        case .statement(let statement): sqlite3_column_type(statement.rowHandle, column) == SQLITE_NULL
        case .values(let values): values.cells[Int(column)] == .null
        }
    }

    /// The column as an integer (`NULL` reads as 0: check `isNull` or use `optionalInt64`).
    public func int64(_ column: Int32) -> Int64 {
        switch source {
        case .statement(let statement):
            return sqlite3_column_int64(statement.rowHandle, column)
        case .values(let values):
            switch values.cells[Int(column)] {
            case .integer(let value): return value
            case .text(let text): return Int64(text) ?? 0
            case .null: return 0
            }
        }
    }

    /// The column's value with its type: an integer, text or `NULL` (for copying rows whatever
    /// their columns are).
    public func value(_ column: Int32) -> SQLValue {
        switch source {
        case .statement(let statement):
            switch sqlite3_column_type(statement.rowHandle, column) {
            case SQLITE_NULL: return .null
            case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement.rowHandle, column))
            default: return .text(text(column))
            }
        case .values(let values):
            return values.cells[Int(column)]
        }
    }

    /// The names of the columns, in order.
    public var columnNames: [String] {
        switch source {
        case .statement(let statement): statement.columnNames
        case .values(let values): values.names
        }
    }

    /// The column as an integer, or `nil` for `NULL`.
    public func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    /// The column as text (`NULL` reads as "").
    public func text(_ column: Int32) -> String {
        optionalText(column) ?? ""
    }

    /// The number of columns.
    public var count: Int32 {
        switch source {
        case .statement(let statement): sqlite3_column_count(statement.rowHandle)
        case .values(let values): Int32(values.names.count)
        }
    }

    /// The column's text as UTF-8 bytes, without copying where it can, or `nil` for `NULL`. The
    /// bytes are valid only inside `body`.
    public func withUTF8<Result>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>?) throws -> Result) rethrows -> Result {
        switch source {
        case .statement(let statement):
            guard let pointer = sqlite3_column_text(statement.rowHandle, column) else { return try body(nil) }
            return try body(UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(statement.rowHandle, column))))
        case .values:
            guard var text = optionalText(column) else { return try body(nil) }
            return try text.withUTF8 { try body($0) }
        }
    }

    /// The column as text, or `nil` for `NULL`.
    public func optionalText(_ column: Int32) -> String? {
        switch source {
        case .statement(let statement):
            guard let pointer = sqlite3_column_text(statement.rowHandle, column) else { return nil }
            return String(cString: pointer)
        case .values(let values):
            switch values.cells[Int(column)] {
            case .integer(let value): return String(value)
            case .text(let text): return text
            case .null: return nil
            }
        }
    }
}
