import ArgumentParser
import Foundation
import KlingCore
import Reports

/// `--month` or `--since`/`--until`: a window of time, a month counted in the ledger's time zone
/// as reports and budgets count it.
struct WindowOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A calendar month in the ledger's time zone (as reports and budgets count it), e.g. 2026-11.", valueName: "yyyy-mm"))
    var month: String?

    @Option(help: ArgumentHelp("From this instant (ISO 8601: 2026-11-01 or 2026-11-01T12:00:00Z).", valueName: "date"))
    var since: String?

    @Option(help: ArgumentHelp("Until this instant (ISO 8601), exclusive.", valueName: "date"))
    var until: String?

    func validate() throws {
        if let month { do { _ = try ReportMonth(month) } catch { throw ValidationError("--month \"\(month)\" must be yyyy-mm, e.g. 2026-11") } }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, Date(iso8601OrDay: value) == nil {
                throw ValidationError("\(name) \"\(value)\" is not an ISO 8601 date such as 2026-11-01 or 2026-11-01T12:00:00Z")
            }
        }
        if month != nil, since != nil || until != nil { throw ValidationError("give --month or --since/--until, not both") }
    }

    /// The window's bounds (either may be open); with neither option, this month when
    /// `thisMonthByDefault`, else no bounds.
    func bounds(timeZone: TimeZone, thisMonthByDefault: Bool = false) throws -> (start: Date?, end: Date?) {
        if let month { return try ReportMonth(month).bounds(in: timeZone) }
        if since == nil, until == nil, thisMonthByDefault { return ReportMonth(containing: Date(), in: timeZone).bounds(in: timeZone) }
        return (since.flatMap(Date.init(iso8601OrDay:)), until.flatMap(Date.init(iso8601OrDay:)))
    }
}
