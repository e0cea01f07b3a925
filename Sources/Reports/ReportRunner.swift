import Foundation
import Ledger

/// Runs a report definition for one month and streams its rows out as CSV.
public enum ReportRunner {
    /// Runs `report` over the submissions of `month` (in the ledger's time zone) and writes its
    /// header and rows to `writer`, one row at a time.
    ///
    /// The query gets these named parameters: `:month` (`2026-11`), `:period_start` and
    /// `:period_end` (the month's bounds as ledger timestamps, end exclusive),
    /// `:billing_period_start` and `:billing_period_end` (the same instants as
    /// `2026-11-01T00:00:00Z`), `:time_zone`; and for a groupable report `:by_<dimension>`
    /// (1 or 0) and `:tag_key`; `:team`, the one team a report is limited to ('' for all:
    /// the dashboard's team keys see their team's rows only, in the definitions that use it).
    /// - Returns: the number of rows written.
    @discardableResult
    public static func run(
        _ report: ReportDefinition, on ledger: Ledger, month: ReportMonth, grouping: Grouping? = nil, team: String? = nil, into writer: CSVWriter
    ) throws -> Int {
        let zone = try ledger.timeZone()
        let (start, end) = month.bounds(in: zone)
        var parameters: [String: SQLValue] = [
            "month": .text(month.description),
            "period_start": .text(Timestamp.string(start)), "period_end": .text(Timestamp.string(end)),
            "billing_period_start": .text(focusTimestamp(start)), "billing_period_end": .text(focusTimestamp(end)),
            "time_zone": .text(zone.identifier), "team": .text(team ?? ""),
        ]
        var dropped: Set<String> = []
        var order: [String] = []  // the chosen dimensions, in the order asked for
        var renamed: [String: String] = [:]
        if report.dimensions.isEmpty {
            guard grouping == nil else { throw ReportError.notGroupable(report: report.name) }
        } else {
            let chosen = grouping ?? Grouping(dimensions: report.defaultGrouping)
            for dimension in chosen.dimensions where !report.dimensions.contains(dimension) {
                throw ReportError.badDimension(dimension, allowed: report.dimensions.filter { $0 != "tag" })
            }
            for dimension in report.dimensions {
                parameters["by_" + dimension] = .integer(chosen.dimensions.contains(dimension) ? 1 : 0)
                if !chosen.dimensions.contains(dimension) { dropped.insert(dimension) }
            }
            order = chosen.dimensions
            parameters["tag_key"] = chosen.tagKey.map(SQLValue.text) ?? .null
            if let key = chosen.tagKey { renamed["tag"] = "tag:" + key }
        }

        var kept: [Int32] = []
        var rows = 0
        try ledger.stream(
            report: report.sql, parameters: parameters,
            columns: { names in
                let grouped = order.compactMap { names.firstIndex(of: $0) }
                let rest = names.indices.filter { !dropped.contains(names[$0]) && !order.contains(names[$0]) }
                kept = (grouped + rest).map { Int32($0) }
                for index in kept { try writer.field(renamed[names[Int(index)]] ?? names[Int(index)]) }
                try writer.endRecord()
            },
            row: { row in
                for index in kept { try row.withUTF8(index) { try writer.field($0) } }
                try writer.endRecord()
                rows += 1
            })
        try writer.flush()
        return rows
    }

    /// FOCUS's date-time form: UTC, whole seconds, `Z`.
    private static func focusTimestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}
