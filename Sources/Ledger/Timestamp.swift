import Foundation

/// The ledger's one timestamp format: UTC ISO 8601 with milliseconds (`2026-11-21T11:25:29.123Z`),
/// fixed-width so that text order is time order in SQL.
public enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// The text stored for an instant.
    public static func string(_ date: Date) -> String {
        date.formatted(style)
    }

    /// The instant a stored text denotes, or `nil` if it is not in the ledger's format.
    public static func date(_ text: String) -> Date? {
        try? style.parse(text)
    }
}
