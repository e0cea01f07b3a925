import Foundation
import KlingCore

/// The ledger's one timestamp format: UTC ISO 8601 with milliseconds (`2026-11-21T11:25:29.123Z`),
/// fixed-width so that text order is time order in SQL.
///
/// Written and read by integer arithmetic (`CivilDay`): every ledger row carries two or three
/// timestamps, and Foundation's format styles cost microseconds each.
public enum Timestamp {
    /// The text stored for an instant: its millisecond, rounded down (so the text never lies in
    /// a later period than the instant), except that an instant read back from a text (a whole
    /// millisecond, off by the last bits of a binary fraction) is written as that same text.
    public static func string(_ date: Date) -> String {
        let scaled = date.timeIntervalSince1970 * 1000
        let nearest = scaled.rounded()
        let milliseconds = Int64(abs(scaled - nearest) < 0.001 ? nearest : scaled.rounded(.down))
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        var text = DigitWriter(capacity: 24)
        text.appendUTCDateTime(seconds: seconds)
        text.append(".")
        text.append(milliseconds - seconds * 1000, digits: 3)
        text.append("Z")
        return text.string
    }

    /// The instant a stored text denotes, or `nil` if it is not in the ledger's format.
    public static func date(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
                bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "."), bytes[23] == UInt8(ascii: "Z")
            else { return nil }
            func number(_ offset: Int, _ digits: Int) -> Int64? {
                var value: Int64 = 0
                for index in offset..<offset + digits {
                    let digit = bytes[index] &- UInt8(ascii: "0")
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int64(digit)
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
                let minute = number(14, 2), let second = number(17, 2), let millisecond = number(20, 3),
                let date = CivilDay(year: year, month: month, day: day), hour < 24, minute < 60, second < 60
            else { return nil }
            let days = date.daysSince1970
            let milliseconds = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millisecond
            return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        }
    }
}
