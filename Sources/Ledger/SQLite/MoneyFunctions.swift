import CSQLite
import KlingCore

/// SQL functions that turn the ledger's integers into exact decimal text, so that report
/// definitions never format money themselves (and never through floating point):
///
/// - `usd(micros)` → `'1.47'`, `'0.098'`, `'-1.00'` (`USD.decimalString`); `NULL` stays `NULL`;
/// - `unit_millionths(text)` → the exact count of millionths of a Kling unit in `'2.5'`, to sum;
/// - `units(millionths)` → `'2.5'` again.
enum MoneyFunctions {
    static func register(on handle: OpaquePointer) {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC
        sqlite3_create_function_v2(handle, "usd", 1, flags, nil, usd, nil, nil, nil)
        sqlite3_create_function_v2(handle, "units", 1, flags, nil, units, nil, nil, nil)
        sqlite3_create_function_v2(handle, "unit_millionths", 1, flags, nil, unitMillionths, nil, nil, nil)
        sqlite3_create_function_v2(handle, "ledger_tags", 3, flags, nil, ledgerTags, nil, nil, nil)
    }

    /// `ledger_tags(tags, project, user)`: a submission's tags with its project and user added
    /// (a NULL one left out), as FOCUS's `Tags`. A function of its own, defined on both backends,
    /// because PostgreSQL 16 reserved `json_object`'s name. On SQLite it is its JSON functions'
    /// own `json_patch(tags, json_object('project', project, 'user', user))`, run on the same
    /// connection, so the output is what it always was.
    private static let ledgerTags: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, _, arguments in
        guard let arguments, let database = sqlite3_context_db_handle(context) else { return sqlite3_result_null(context) }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, "SELECT json_patch(?1, json_object('project', ?2, 'user', ?3))", -1, &statement, nil) == SQLITE_OK else {
            sqlite3_finalize(statement)
            return sqlite3_result_error(context, "ledger_tags() could not be prepared", -1)
        }
        defer { sqlite3_finalize(statement) }
        for index in 0..<3 { sqlite3_bind_value(statement, Int32(index + 1), arguments[index]) }
        guard sqlite3_step(statement) == SQLITE_ROW else {
            return sqlite3_result_error(context, "ledger_tags() takes the tags as a JSON object", -1)
        }
        sqlite3_result_value(context, sqlite3_column_value(statement, 0))
    }

    private static let usd: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, _, arguments in
        guard let value = arguments?[0], sqlite3_value_type(value) != SQLITE_NULL else { return sqlite3_result_null(context) }
        guard sqlite3_value_numeric_type(value) == SQLITE_INTEGER else {
            return sqlite3_result_error(context, "usd() takes integer micro-dollars", -1)
        }
        // Straight from the stack into SQLite: no String for each of a report's million rows.
        FixedPoint.withFormatted(sqlite3_value_int64(value), minimumFractionDigits: 2) { bytes in
            bytes.withMemoryRebound(to: CChar.self) { text in
                sqlite3_result_text(context, text.baseAddress, Int32(text.count), csqlite_transient())
            }
        }
    }

    private static let units: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, _, arguments in
        guard let value = arguments?[0], sqlite3_value_type(value) != SQLITE_NULL else { return sqlite3_result_null(context) }
        guard sqlite3_value_numeric_type(value) == SQLITE_INTEGER else {
            return sqlite3_result_error(context, "units() takes integer millionths of a unit", -1)
        }
        FixedPoint.withFormatted(sqlite3_value_int64(value), minimumFractionDigits: 0) { bytes in
            bytes.withMemoryRebound(to: CChar.self) { text in
                sqlite3_result_text(context, text.baseAddress, Int32(text.count), csqlite_transient())
            }
        }
    }

    private static let unitMillionths: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, _, arguments in
        guard let value = arguments?[0], sqlite3_value_type(value) != SQLITE_NULL, let text = sqlite3_value_text(value) else {
            return sqlite3_result_null(context)
        }
        // Read in place: a monthly report calls this once per row.
        guard let millionths = FixedPoint.parse(bytes: UnsafeBufferPointer(start: text, count: Int(sqlite3_value_bytes(value)))) else {
            return sqlite3_result_error(context, "unit_millionths() takes a decimal number of units such as '2.5'", -1)
        }
        sqlite3_result_int64(context, millionths)
    }
}
