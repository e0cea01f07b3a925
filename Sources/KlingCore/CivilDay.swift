/// A day of the proleptic Gregorian calendar, and its distance from 1970-01-01.
///
/// Integer arithmetic (Howard Hinnant's `days_from_civil` and `civil_from_days`), shared by the
/// ledger's timestamps and the ISO 8601 dates of price tables and options: both are read and
/// written often, or at start, where Foundation's calendar costs far more than the sums.
public struct CivilDay: Hashable, Sendable {
    public let year: Int64
    public let month: Int64
    public let day: Int64

    /// The day, if it exists (`2026-02-30` does not).
    public init?(year: Int64, month: Int64, day: Int64) {
        guard (1...12).contains(month), (1...Self.days(inMonth: month, of: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day that many days after 1970-01-01 (before it, if negative).
    public init(daysSince1970: Int64) {
        let days = daysSince1970 + 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days from 1970-01-01 to this day.
    public var daysSince1970: Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public static func days(inMonth month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// Fixed-width decimal digits written into a byte buffer, for the timestamp formats above.
public struct DigitWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// Appends `value` as exactly `digits` digits, zero-padded.
    public mutating func append(_ value: Int64, digits: Int) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var value = value
        for index in stride(from: start + digits - 1, through: start, by: -1) {
            bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
    }

    public mutating func append(_ character: Unicode.Scalar) { bytes.append(UInt8(ascii: character)) }

    /// `YYYY-MM-DDTHH:MM:SS` of a UTC instant, `seconds` whole seconds from 1970 (before it if
    /// negative): the part the ISO 8601 texts of options, tables and the ledger share.
    public mutating func appendUTCDateTime(seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let inDay = seconds - days * 86_400
        let date = CivilDay(daysSince1970: days)
        append(date.year, digits: 4)
        append("-")
        append(date.month, digits: 2)
        append("-")
        append(date.day, digits: 2)
        append("T")
        append(inDay / 3600, digits: 2)
        append(":")
        append(inDay / 60 % 60, digits: 2)
        append(":")
        append(inDay % 60, digits: 2)
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }
}
