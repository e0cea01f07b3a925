import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The ledger's SQL on a PostgreSQL server, through PostgresNIO.
///
/// The ledger's API is synchronous (SQLite's is), so each statement waits for its answer on
/// the calling thread; the ledger store serializes its use, as it does a SQLite connection.
/// `?` parameters are numbered as PostgreSQL wants (`$1`, `$2`, …) outside string literals.
///
/// Write transactions take one transaction-scoped advisory lock first: every writer, on every
/// machine, then works one after another, as SQLite's `BEGIN IMMEDIATE` makes writers on one
/// file do. A budget check and the hold it allows can then never interleave with another
/// writer's: no two machines can both see room for the last job.
final class PostgresLedgerConnection: LedgerConnection {
    let dialect: SQLDialect = .postgres
    let location: PostgresLocation
    private var connection: PostgresConnection
    private let logger = Logger(label: "kling-ledger.postgres")
    /// How many `write`/`read` bodies are running on this connection, outermost first.
    private var depth = 0

    /// The advisory lock key every write transaction takes ("KLDG").
    static let writeLock: Int64 = 0x4B4C_4447

    init(_ location: PostgresLocation) throws(LedgerError) {
        self.location = location
        connection = try Self.connect(location, logger: logger)
        watchForClose()
        try configureSession()
    }

    /// The statement waiting for its answer, and the connection it was sent on. PostgresNIO
    /// never answers a statement the connection closed under, so the close fails it here.
    private let waiting = NIOLockedValueBox<(connection: ObjectIdentifier, fail: @Sendable () -> Void)?>(nil)

    private func watchForClose() {
        let closed = ObjectIdentifier(connection)
        connection.closeFuture.whenComplete { [waiting] _ in
            waiting.withLockedValue { $0 }.map { if $0.connection == closed { $0.fail() } }
        }
    }

    private struct ConnectionClosed: Error {}

    private static func connect(_ location: PostgresLocation, logger: Logger) throws(LedgerError) -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password, database: location.database,
            tls: try tls(location))
        configuration.options.connectTimeout = .seconds(10)
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: logger
            ).wait()
        } catch {
            throw .unreachable(server: location.description, reason: reason(error))
        }
    }

    /// The TLS the location's `sslmode` asks for, as libpq gives it.
    private static func tls(_ location: PostgresLocation) throws(LedgerError) -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch location.tls {
        case .disable: return .disable
        case .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let path = location.rootCertificates, location.tls == .verifyCA || location.tls == .verifyFull {
            configuration.trustRoots = .file(path)
        }
        do {
            let context = try NIOSSLContext(configuration: configuration)
            return location.tls == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw .badLocation("\(location): cannot set up TLS (\(error)); check sslrootcert")
        }
    }

    /// A statement may run `statement_timeout`; waiting for the write lock is bounded apart
    /// from it, so a stalled writer elsewhere is reported as such.
    private func configureSession() throws(LedgerError) {
        try execute("SET statement_timeout = \(location.statementTimeout.components.seconds * 1000)")
        try execute("SET lock_timeout = \(location.statementTimeout.components.seconds * 1000)")
        if readOnlySession { try execute("SET default_transaction_read_only = on") }
    }

    /// Set by the migrator for a ledger opened read-only, and kept across reconnections.
    var readOnlySession = false

    /// Starts a transaction; when the connection turns out to be dead (a restarted or failed
    /// over server), connects again first. Nothing of a transaction can be lost that way: none
    /// had begun.
    private func begin(_ sql: String) throws(LedgerError) {
        do {
            try execute(sql)
        } catch .unreachable {
            try reconnect()
            try execute(sql)
        }
    }

    private func reconnect() throws(LedgerError) {
        try? connection.close().wait()
        connection = try Self.connect(location, logger: logger)
        watchForClose()
        try configureSession()
    }

    /// The connection for the next statement. One the server has closed is replaced when no
    /// transaction is open (a lone statement, or a transaction's first); inside one, the
    /// transaction is gone with its session, and the caller hears so.
    private func liveConnection() throws(LedgerError) -> PostgresConnection {
        guard connection.isClosed else { return connection }
        guard depth == 0 else {
            throw .unreachable(server: location.description, reason: "the server closed the connection during a transaction, which it rolled back")
        }
        try reconnect()
        return connection
    }

    /// Waits for a statement's answer, but not forever: PostgresNIO never answers a statement
    /// sent on a connection that has just closed (the close fails it, see `waiting`), and a
    /// server that vanished without closing (a dead host) never answers at all. Past the
    /// server's own statement timeout and a margin, the connection is closed, so the next
    /// statement connects again.
    private func answer<T: Sendable>(_ future: EventLoopFuture<T>, sql: String) throws(LedgerError) -> T {
        let waited = location.statementTimeout + .seconds(5)
        let promise = future.eventLoop.makePromise(of: T.self)
        future.cascade(to: promise)
        let deadline = future.eventLoop.scheduleTask(in: .seconds(waited.components.seconds)) {
            promise.fail(NoAnswer())
        }
        waiting.withLockedValue { $0 = (ObjectIdentifier(connection), { promise.fail(ConnectionClosed()) }) }
        defer {
            deadline.cancel()
            waiting.withLockedValue { $0 = nil }
        }
        if connection.isClosed { promise.fail(ConnectionClosed()) }  // closed before the watch was set
        timedOut = false
        do {
            return try promise.futureResult.wait()
        } catch is ConnectionClosed {
            throw .unreachable(server: location.description, reason: "the server closed the connection")
        } catch is NoAnswer {
            timedOut = true
            connection.close().whenComplete { _ in }
            throw .unreachable(server: location.description, reason: "no answer within \(waited.components.seconds) s")
        } catch {
            throw failure(error, sql: sql)
        }
    }

    private struct NoAnswer: Error {}
    /// Whether the last statement went unanswered until its deadline (then it is not retried).
    private var timedOut = false

    deinit {
        try? connection.close().wait()
    }

    // MARK: Statements

    /// Runs each statement of `sql` in turn (the server takes one per request).
    func execute(_ sql: String) throws(LedgerError) {
        for statement in Self.statements(sql) {
            _ = try answer(try liveConnection().query(PostgresQuery(unsafeSQL: statement), logger: logger), sql: statement)
        }
    }

    func run(_ sql: String, _ values: [SQLValue]) throws(LedgerError) {
        _ = try rows(sql, values)
    }

    func query<T>(_ sql: String, _ values: [SQLValue], _ map: (Row) throws(LedgerError) -> T) throws(LedgerError) -> [T] {
        var results: [T] = []
        for row in try rows(sql, values) { results.append(try map(row)) }
        return results
    }

    func queryOne<T>(_ sql: String, _ values: [SQLValue], _ map: (Row) throws(LedgerError) -> T) throws(LedgerError) -> T? {
        guard let first = try rows(sql, values).first else { return nil }
        return try map(first)
    }

    /// Rows a report's cursor hands over at a time: however many the report has, no more than
    /// these are in memory at once.
    static let reportBatch = 1_000

    func stream(_ sql: String, parameters: [String: SQLValue], columns: ([String]) throws -> Void, row: (Row) throws -> Void) throws {
        let (numbered, values) = try Self.numberNamed(sql, parameters: parameters)
        let body = numbered.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(.init(charactersIn: ";")))
        // A report may only read: in a read-only transaction the server refuses anything else.
        // Its rows come through a cursor, a batch at a time, from one snapshot.
        // Reports run on their own, never inside another transaction: this one must be read-only
        // from its start.
        guard depth == 0 else {
            throw LedgerError.postgres(sqlState: "", message: "a report cannot run inside another transaction", sql: sql, server: location.description)
        }
        try begin("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        depth += 1  // the cursor lives until the transaction ends
        defer {
            depth -= 1
            try? execute("COMMIT")
        }
        _ = try readRows("DECLARE report_rows NO SCROLL CURSOR FOR \n\(body)\n", values, rawSQL: sql)
        var named = false
        while true {
            let batch = try readRows("FETCH FORWARD \(Self.reportBatch) FROM report_rows", [], rawSQL: sql)
            if !named {
                var names = batch.names
                if batch.rows.isEmpty {
                    // No rows, so no names from them: one row of NULLs, joined to nothing, has them.
                    names = try readRows("SELECT q.* FROM (SELECT 1) AS one LEFT JOIN (\n\(body)\n) AS q ON TRUE", values, rawSQL: sql).names
                }
                try columns(names)
                named = true
            }
            for values in batch.rows { try row(values) }
            if batch.rows.count < Self.reportBatch { return }
        }
    }

    // MARK: Transactions

    var isInTransaction: Bool { depth > 0 }

    func write<T>(_ body: () throws(LedgerError) -> T) throws(LedgerError) -> T {
        let nested = depth > 0
        if nested {
            try execute("SAVEPOINT nested_write")
        } else {
            try begin("BEGIN")
        }
        depth += 1
        defer { depth -= 1 }
        do {
            if !nested { try execute("SELECT pg_advisory_xact_lock(\(Self.writeLock))") }
            let result = try body()
            try execute(nested ? "RELEASE SAVEPOINT nested_write" : "COMMIT")
            return result
        } catch {
            try? execute(nested ? "ROLLBACK TO SAVEPOINT nested_write; RELEASE SAVEPOINT nested_write" : "ROLLBACK")
            throw error
        }
    }

    func read<T>(_ body: () throws(LedgerError) -> T) throws(LedgerError) -> T {
        guard depth == 0 else { return try body() }
        try begin("BEGIN ISOLATION LEVEL REPEATABLE READ")
        depth += 1
        defer {
            depth -= 1
            try? execute("COMMIT")
        }
        return try body()
    }

    // MARK: Rows

    private func rows(_ sql: String, _ values: [SQLValue]) throws(LedgerError) -> [Row] {
        try readRows(Self.numbered(sql), values, rawSQL: sql).rows
    }

    private struct ReadRows {
        var names: [String] = []
        var rows: [Row] = []
    }

    private func readRows(_ sql: String, _ values: [SQLValue], rawSQL: String) throws(LedgerError) -> ReadRows {
        var bindings = PostgresBindings()
        for value in values {
            switch value {
            case .integer(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .null: bindings.appendNull()
            }
        }
        let result: PostgresQueryResult
        do {
            result = try answer(try liveConnection().query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger), sql: rawSQL)
        } catch .unreachable where depth == 0 && !timedOut && sql.hasPrefix("SELECT") {
            // A lone read sent as the server ended the session (its answer may be the server's
            // farewell, before the connection is seen closed): read again on a new one.
            try reconnect()
            result = try answer(connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger), sql: rawSQL)
        }
        var read = ReadRows()
        for row in result.rows {
            if read.names.isEmpty { read.names = row.map(\.columnName) }
            let values = Row.ReadValues(names: read.names)
            values.cells = row.map(Self.value)
            read.rows.append(Row(values: values))
        }
        return read
    }

    /// A cell as SQLite would hold it: an integer, text, or `NULL`.
    private static func value(_ cell: PostgresCell) -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8, .int4, .int2:
            return (try? cell.decode(Int64.self)).map(SQLValue.integer) ?? .null
        case .numeric:
            // Sums of BIGINT are NUMERIC: exact decimal text, an integer when it is one.
            guard let decimal = try? cell.decode(Decimal.self) else { return .null }
            let text = "\(decimal)"
            return Int64(text).map(SQLValue.integer) ?? .text(text)
        case .bool:
            return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        default:
            return (try? cell.decode(String.self)).map(SQLValue.text) ?? .null
        }
    }

    // MARK: SQL text

    /// The statements of a script, split at the semicolons outside quotes, comments and `$$`
    /// bodies.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quote: Character?
        var inDollarBody = false
        var inComment = false
        let characters = Array(sql)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            if inComment {
                if character == "\n" { inComment = false }
                current.append(character)
            } else if inDollarBody {
                if character == "$", next == "$" {
                    inDollarBody = false
                    current += "$$"
                    index += 1
                } else {
                    current.append(character)
                }
            } else if let open = quote {
                if character == open { quote = nil }
                current.append(character)
            } else if character == "-", next == "-" {
                inComment = true
                current.append(character)
            } else if character == "$", next == "$" {
                inDollarBody = true
                current += "$$"
                index += 1
            } else if character == "'" || character == "\"" {
                quote = character
                current.append(character)
            } else if character == ";" {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
            index += 1
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty && !Self.isOnlyComments($0) }
    }

    private static func isOnlyComments(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") || $0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// `?` parameters as `$1`, `$2`, …, leaving string literals, quoted names and `$$` bodies alone.
    static func numbered(_ sql: String) -> String {
        var result = ""
        var number = 0
        var quote: Character?
        var previous: Character?
        for character in sql {
            defer { previous = character }
            if let open = quote {
                if (open == "-" && character == "\n") || (open == "$" && character == "$" && previous == "$" && result.last == "$")
                    || (open != "-" && open != "$" && character == open)
                {
                    quote = nil
                }
                result.append(character)
            } else if character == "-", previous == "-" {
                quote = "-"  // a comment, to the end of the line
                result.append(character)
            } else if character == "$", previous == "$" {
                quote = "$"  // a $$ body, to the next $$
                result.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                result.append(character)
            } else if character == "?" {
                number += 1
                result += "$\(number)"
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// A report's named parameters (`:month`) as `$1`, `$2`, … and their values in order.
    static func numberNamed(_ sql: String, parameters: [String: SQLValue]) throws(LedgerError) -> (String, [SQLValue]) {
        var result = ""
        var values: [SQLValue] = []
        var numbers: [String: Int] = [:]
        var quote: Character?
        var index = sql.startIndex
        while index < sql.endIndex {
            let character = sql[index]
            if let open = quote {
                if character == open || (open == "-" && character == "\n") { quote = nil }
                result.append(character)
                index = sql.index(after: index)
            } else if character == "-", index > sql.startIndex, sql[sql.index(before: index)] == "-" {
                quote = "-"  // a comment, to the end of the line
                result.append(character)
                index = sql.index(after: index)
            } else if character == "'" || character == "\"" {
                quote = character
                result.append(character)
                index = sql.index(after: index)
            } else if character == ":", sql.index(after: index) < sql.endIndex, sql[sql.index(after: index)].isLetter,
                index == sql.startIndex || sql[sql.index(before: index)] != ":"
            {
                var end = sql.index(after: index)
                while end < sql.endIndex, sql[end].isLetter || sql[end].isNumber || sql[end] == "_" { end = sql.index(after: end) }
                let name = String(sql[sql.index(after: index)..<end])
                guard let value = parameters[name] else {
                    throw .postgres(sqlState: "42P02", message: "the report uses :\(name), which is not given", sql: sql, server: "")
                }
                if numbers[name] == nil {
                    values.append(value)
                    numbers[name] = values.count
                }
                result += "$\(numbers[name]!)"
                index = end
            } else {
                result.append(character)
                index = sql.index(after: index)
            }
        }
        return (result, values)
    }

    // MARK: Errors

    private func failure(_ error: any Error, sql: String) -> LedgerError {
        guard let error = error as? PSQLError else { return .postgres(sqlState: "", message: "\(error)", sql: sql, server: location.description) }
        if let info = error.serverInfo, let state = info[.sqlState], state.hasPrefix("57P") {
            // Operator intervention: the server is shutting down, or ended this session.
            return .unreachable(server: location.description, reason: info[.message] ?? "the server ended the session")
        }
        if let info = error.serverInfo {
            return .postgres(sqlState: info[.sqlState] ?? "", message: info[.message] ?? "the server refused the statement", sql: sql, server: location.description)
        }
        return .unreachable(server: location.description, reason: Self.reason(error))
    }

    /// Why a connection failed, in a few words, never with the password.
    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying, underlying is NIOSSLError || underlying is BoringSSLError { return reason(underlying) }
            switch error.code {
            case .sslUnsupported: return "the server does not offer TLS, and sslmode asks for it (sslmode=prefer, or disable, connects without)"
            case .connectionError: return "no answer from the server (is it running, and is the port right?)"
            case .authMechanismRequiresPassword: return "the server asks for a password and none was given"
            case .serverClosedConnection, .uncleanShutdown: return "the server closed the connection"
            default: return "\(error.code)"
            }
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if error is NIOSSLError || error is BoringSSLError {
            // BoringSSL's text names its source files; its reason code (CERTIFICATE_VERIFY_FAILED) is what helps.
            let text = "\(error)"
            let code = text.range(of: "OPENSSL_internal:").map { text[$0.upperBound...].prefix { $0 != " " } } ?? ""
            return "the TLS handshake failed\(code.isEmpty ? "" : " (\(code))"): the server's certificate is not trusted, or not issued to this "
                + "host; with sslmode=verify-ca or verify-full, give the authority that signed it as sslrootcert=PATH"
        }
        return "could not connect"
    }
}
