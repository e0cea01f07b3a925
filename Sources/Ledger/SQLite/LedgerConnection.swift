/// What the ledger's SQL runs on: a SQLite file (`DatabaseConnection`) or a PostgreSQL server
/// (`PostgresLedgerConnection`). Queries are written once, with `?` parameters, in the SQL both
/// engines accept; `dialect` names the few constructs that differ.
public protocol LedgerConnection: AnyObject {
    var dialect: SQLDialect { get }

    /// Runs SQL that takes no parameters (DDL, transaction control).
    func execute(_ sql: String) throws(LedgerError)
    /// Runs one statement with parameters, ignoring any rows.
    func run(_ sql: String, _ values: [SQLValue]) throws(LedgerError)
    /// Runs one query and maps each row.
    func query<T>(_ sql: String, _ values: [SQLValue], _ map: (Row) throws(LedgerError) -> T) throws(LedgerError) -> [T]
    /// Runs one query and maps its first row, if any.
    func queryOne<T>(_ sql: String, _ values: [SQLValue], _ map: (Row) throws(LedgerError) -> T) throws(LedgerError) -> T?
    /// Runs `body` in a write transaction (a savepoint inside another).
    func write<T>(_ body: () throws(LedgerError) -> T) throws(LedgerError) -> T
    /// Runs `body` on one consistent snapshot.
    func read<T>(_ body: () throws(LedgerError) -> T) throws(LedgerError) -> T
    /// Whether a transaction is open (the engine may have ended one itself, on a full disk).
    var isInTransaction: Bool { get }
    /// Runs a query that may only read, binding named parameters (`:month`), handing over the
    /// column names and then each row.
    func stream(_ sql: String, parameters: [String: SQLValue], columns: ([String]) throws -> Void, row: (Row) throws -> Void) throws
}

extension LedgerConnection {
    public func run(_ sql: String) throws(LedgerError) { try run(sql, []) }

    public func query<T>(_ sql: String, _ map: (Row) throws(LedgerError) -> T) throws(LedgerError) -> [T] {
        try query(sql, [], map)
    }

    public func queryOne<T>(_ sql: String, _ map: (Row) throws(LedgerError) -> T) throws(LedgerError) -> T? {
        try queryOne(sql, [], map)
    }
}

/// The SQL engine behind a connection, for the few constructs the two write differently.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// A condition that the JSON array of strings in `column` holds the parameter's value.
    func jsonArrayContainsParameter(_ column: String) -> String {
        switch self {
        case .sqlite: "EXISTS (SELECT 1 FROM json_each(\(column)) WHERE value = ?)"
        case .postgres: "EXISTS (SELECT 1 FROM jsonb_array_elements_text(\(column)::jsonb) AS element(value) WHERE element.value = ?)"
        }
    }

    /// A comparison that treats two NULLs as equal: SQLite's `IS` (any version), PostgreSQL's
    /// `IS NOT DISTINCT FROM`.
    var nullSafeEquals: String {
        switch self {
        case .sqlite: "IS"
        case .postgres: "IS NOT DISTINCT FROM"
        }
    }

    /// The column that orders a table's rows as they were inserted (ties in time).
    func insertionOrder(_ alias: String) -> String {
        switch self {
        case .sqlite: "\(alias).rowid"
        case .postgres: "\(alias).seq"
        }
    }
}
