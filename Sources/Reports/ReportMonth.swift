import Foundation
import Ledger

/// A calendar month, as `--month 2026-11` names it.
public struct ReportMonth: Sendable, Equatable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    /// Parses `YYYY-MM`.
    public init(_ text: String) throws(ReportError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
            (1...12).contains(month), year >= 1970
        else { throw .badMonth(text) }
        self.year = year
        self.month = month
    }

    /// The month holding `instant` in `timeZone`.
    public init(containing instant: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month], from: instant)
        self.year = parts.year ?? 1970
        self.month = parts.month ?? 1
    }

    /// `2026-11`.
    public var description: String { String(format: "%04d-%02d", year, month) }

    /// The month's first instant and the next month's, in `timeZone`: the same bounds a monthly
    /// budget's period has (`BudgetPeriod.month`), so a report, `list --month` and a budget never
    /// disagree about which month a submission belongs to.
    public func bounds(in timeZone: TimeZone) -> (start: Date, end: Date) {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        // Noon on the 15th is inside the month whatever the zone does at midnight.
        let middle = calendar.date(from: DateComponents(year: year, month: month, day: 15, hour: 12)) ?? Date(timeIntervalSince1970: 0)
        let start = BudgetPeriod.month.start(containing: middle, in: timeZone) ?? middle
        return (start, BudgetPeriod.month.end(startingAt: start, in: timeZone) ?? start)
    }
}
