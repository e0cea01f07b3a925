import Foundation
import KlingCore

/// What `copy(to:)` moved, table by table, and the money totals it checked on both sides.
public struct LedgerCopy: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public let name: String
        public let rows: Int
    }

    public let tables: [Table]
    /// Held and charged over every entry: equal on both sides, or the copy is not kept.
    public let held: USD
    public let charged: USD
}

extension Ledger {
    /// Every table, in an order that inserts what a row refers to before the row, with the
    /// column that keeps rows in the order they were written. Entries come before the budgets'
    /// running totals, so that their trigger finds no period to move: the totals are copied as
    /// they are.
    static let copiedTables: [(name: String, order: String)] = [
        ("ledger_settings", "key"), ("budgets", "id"), ("alert_targets", "id"), ("gateway_keys", "created_at, id"),
        ("submissions", "created_at, id"), ("entries", "id"), ("budget_usage", "budget_id, period_start"), ("alerts", "id"), ("alert_deliveries", "alert_id, target_id"),
        ("reconciliations", "id"), ("reconciliation_lines", "reconciliation_id, line"), ("callback_deliveries", "queued_at, submission_id"),
    ]

    /// Columns the target fills itself: its own numbering, and each submission's balance, which
    /// the copied entries move.
    private static let generatedColumns: Set<String> = ["seq", "balance_held_micros", "balance_charged_micros"]

    /// Copies every row of this ledger into `target`, a new, empty ledger (on the other backend,
    /// typically: a team's SQLite history into the shared PostgreSQL ledger), in one transaction,
    /// and checks that the row counts and money totals match before it commits.
    ///
    /// - Throws: `LedgerError.conflict` if `target` already holds anything, or if a count or a
    ///   total differs after the copy (then nothing is kept).
    public func copy(to target: Ledger) throws(LedgerError) -> LedgerCopy {
        try read { source throws(LedgerError) in
            try target.write { destination throws(LedgerError) in
                for table in ["submissions", "budgets", "alert_targets", "gateway_keys", "reconciliations"] {
                    let rows = try destination.queryOne("SELECT count(*) AS n FROM \(table)", []) { $0.int64("n") } ?? 0
                    if rows > 0 {
                        throw .conflict(
                            "\(target.location) is not empty (its \(table) has \(rows) rows): copy into a new, empty ledger, so that nothing is merged or counted twice")
                    }
                }
                try destination.run("DELETE FROM ledger_settings", [])  // the defaults a new ledger starts with
                var tables: [LedgerCopy.Table] = []
                for (name, order) in Self.copiedTables {
                    tables.append(.init(name: name, rows: try Self.copyRows(of: name, orderedBy: order, from: source, to: destination)))
                }
                if destination.dialect == .postgres { try Self.advanceSequences(destination) }
                let (held, charged) = try Self.totals(source)
                for table in tables {
                    let copied = try destination.queryOne("SELECT count(*) AS n FROM \(table.name)", []) { $0.int64("n") } ?? -1
                    guard copied == Int64(table.rows) else {
                        throw .conflict("the copy of \(table.name) holds \(copied) rows, not \(table.rows); nothing was kept")
                    }
                }
                guard try Self.totals(destination) == (held, charged), try Self.usageTotals(destination) == (try Self.usageTotals(source)) else {
                    throw .conflict("the copy's money totals differ from the original's; nothing was kept")
                }
                return LedgerCopy(tables: tables, held: USD(micros: held), charged: USD(micros: charged))
            }
        }
    }

    /// Copies a table's rows in batches of multi-row inserts.
    private static func copyRows(
        of table: String, orderedBy order: String, from source: any LedgerConnection, to destination: any LedgerConnection
    ) throws(LedgerError) -> Int {
        var columns: [String] = []
        var batch: [[SQLValue]] = []
        var count = 0
        func flush() throws(LedgerError) {
            guard !batch.isEmpty else { return }
            let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            try destination.run(
                "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + Array(repeating: row, count: batch.count).joined(separator: ", "),
                batch.flatMap { $0 })
            batch.removeAll(keepingCapacity: true)
        }
        let rows = try source.query("SELECT * FROM \(table) ORDER BY \(order)", []) { row throws(LedgerError) -> [String: SQLValue] in
            var values: [String: SQLValue] = [:]
            for (index, name) in row.columnNames.enumerated() where !generatedColumns.contains(name) {
                values[name] = row.value(Int32(index))
            }
            return values
        }
        for values in rows {
            if columns.isEmpty { columns = values.keys.sorted() }
            batch.append(columns.map { values[$0] ?? .null })
            count += 1
            if batch.count == 200 { try flush() }
        }
        try flush()
        return count
    }

    /// After rows were inserted with their own ids, the next id of each table follows them.
    private static func advanceSequences(_ connection: any LedgerConnection) throws(LedgerError) {
        for table in ["budgets", "alert_targets", "entries", "alerts", "reconciliations"] {
            try connection.run("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce((SELECT max(id) FROM \(table)), 0) + 1, false)", [])
        }
    }

    private static func totals(_ connection: any LedgerConnection) throws(LedgerError) -> (Int64, Int64) {
        try connection.queryOne("SELECT \(heldSum()) AS held, \(chargedSum()) AS charged FROM entries", []) {
            ($0.int64("held"), $0.int64("charged"))
        } ?? (0, 0)
    }

    private static func usageTotals(_ connection: any LedgerConnection) throws(LedgerError) -> [Int64] {
        try connection.queryOne(
            "SELECT coalesce(sum(held_micros), 0) AS held, coalesce(sum(charged_micros), 0) AS charged, coalesce(sum(peak_micros), 0) AS peak FROM budget_usage",
            []
        ) { [$0.int64("held"), $0.int64("charged"), $0.int64("peak")] } ?? []
    }
}
