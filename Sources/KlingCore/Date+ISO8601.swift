import Foundation

extension Date {
    /// Reads an ISO 8601 instant (`2026-03-01T12:00:00Z`, `2026-03-01T14:00:00+02:00`, optionally
    /// with fractional seconds) or a bare date (`2026-03-01`, taken as midnight UTC), the two forms
    /// price tables and `--at` accept.
    ///
    /// Read by hand rather than with `Date.ISO8601FormatStyle`: every command that prices a job
    /// reads the tables' dates at start, and the format style's first use costs more than the
    /// rest of the table together.
    /// - Returns: `nil` for anything else, including dates that do not exist (`2026-02-30`).
    public init?(iso8601OrDay text: String) {
        var reader = ISO8601Reader(Array(text.utf8))
        guard let seconds = reader.read() else { return nil }
        self.init(timeIntervalSince1970: seconds)
    }

    /// The instant in UTC to the second, as `ISO8601Format()` writes it: `2026-03-01T12:00:00Z`.
    public var iso8601: String {
        var text = DigitWriter(capacity: 20)
        text.appendUTCDateTime(seconds: Int64(timeIntervalSince1970.rounded(.down)))
        text.append("Z")
        return text.string
    }
}

/// The digits and separators of one ISO 8601 date or instant, read left to right.
private struct ISO8601Reader {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Seconds since 1970 in UTC, or `nil` if the text is not exactly one date or instant.
    mutating func read() -> TimeInterval? {
        guard let year = number(digits: 4), take(UInt8(ascii: "-")), let month = number(digits: 2),
            take(UInt8(ascii: "-")), let day = number(digits: 2),
            let date = CivilDay(year: Int64(year), month: Int64(month), day: Int64(day))
        else { return nil }
        let midnight = TimeInterval(date.daysSince1970 * 86_400)
        if index == bytes.count { return midnight }

        guard take(UInt8(ascii: "T")) || take(UInt8(ascii: "t")), let hour = number(digits: 2), take(UInt8(ascii: ":")),
            let minute = number(digits: 2), take(UInt8(ascii: ":")), let second = number(digits: 2),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var fraction: TimeInterval = 0
        if take(UInt8(ascii: ".")) {
            var scale: TimeInterval = 0.1
            let start = index
            while let digit = digit() {
                fraction += TimeInterval(digit) * scale
                scale /= 10
            }
            guard index > start else { return nil }
        }
        guard let offset = zoneOffset(), index == bytes.count else { return nil }
        return midnight + TimeInterval(hour * 3600 + minute * 60 + second - offset) + fraction
    }

    /// `Z`, `±HH:MM` or `±HHMM`, in seconds east of UTC.
    private mutating func zoneOffset() -> Int? {
        if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) { return 0 }
        let sign: Int
        if take(UInt8(ascii: "+")) {
            sign = 1
        } else if take(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let hours = number(digits: 2) else { return nil }
        _ = take(UInt8(ascii: ":"))
        guard let minutes = number(digits: 2), hours < 24, minutes < 60 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func digit() -> Int? {
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
        defer { index += 1 }
        return Int(bytes[index] - UInt8(ascii: "0"))
    }

    private mutating func number(digits: Int) -> Int? {
        var value = 0
        for _ in 0..<digits {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }
}
