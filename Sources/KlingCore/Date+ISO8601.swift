import Foundation

extension Date {
    /// Reads an ISO 8601 instant (`2026-03-01T12:00:00Z`) or a bare date (`2026-03-01`, taken as
    /// midnight UTC), the two forms price tables and `--at` accept.
    /// - Returns: `nil` for anything else.
    public init?(iso8601OrDay text: String) {
        if let date = try? Date(text, strategy: .iso8601) {
            self = date
        } else if let day = try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day()) {
            self = day
        } else {
            return nil
        }
    }
}
