import Foundation
import KlingCore
import Testing

@Suite("Reading ISO 8601 dates")
struct DateParsingTests {
    /// Foundation's reading of the same text: the reference the hand-written reader must agree with
    /// (from 1583 on: before that, Foundation's Gregorian calendar turns Julian, and ours does not).
    static func foundation(_ text: String) -> Date? {
        let instant = Date.ISO8601FormatStyle()
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let day = Date.ISO8601FormatStyle().year().month().day()
        return (try? instant.parse(text)) ?? (try? fractional.parse(text)) ?? (text.count == 10 ? try? day.parse(text) : nil)
    }

    @Test(
        "Instants and days read as Foundation reads them",
        arguments: [
            "2026-03-01", "1970-01-01", "1969-12-31", "2000-02-29", "2024-02-29", "2399-12-31", "1600-03-01",
            "2026-03-01T12:00:00Z", "2026-03-01T00:00:00Z", "2026-12-31T23:59:59Z", "2026-03-01T14:30:00+02:00",
            "2026-03-01T01:15:00-05:30", "2026-03-01T12:00:00.250Z", "2026-03-01T12:00:00.5+01:00",
            "1960-06-15T08:00:00Z",
        ])
    func agrees(text: String) throws {
        let expected = try #require(Self.foundation(text), "Foundation reads \(text)")
        let read = try #require(Date(iso8601OrDay: text), "\(text) is refused")
        #expect(abs(read.timeIntervalSince(expected)) < 0.000_001, "\(text): \(read) ≠ \(expected)")
    }

    @Test(
        "Text that is not one date or instant is refused",
        arguments: [
            "", "next week", "2026-13-01", "2026-00-10", "2026-02-29", "2100-02-29", "2026-04-31", "2026-03-00",
            "2026-3-1", "26-03-01", "2026-03-01T24:00:00Z", "2026-03-01T12:60:00Z", "2026-03-01T12:00:60Z",
            "2026-03-01T12:00:00", "2026-03-01T12:00Z", "2026-03-01T12:00:00.Z", "2026-03-01T12:00:00Zjunk",
            "2026-03-01 ", " 2026-03-01", "2026-03-01T12:00:00+25:00", "２０２６-03-01",
        ])
    func refuses(text: String) {
        #expect(Date(iso8601OrDay: text) == nil, "\(text) was read")
    }

    @Test("Every day of four years, leap years included, lands on Foundation's midnight")
    func everyDay() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var day = try #require(calendar.date(from: DateComponents(year: 2023, month: 1, day: 1)))
        for _ in 0..<(4 * 366) {
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            let text = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
            #expect(Date(iso8601OrDay: text) == day, "\(text)")
            day = try #require(calendar.date(byAdding: .day, value: 1, to: day))
        }
    }
}

@Suite("Writing ISO 8601 instants")
struct DateWritingTests {
    @Test(
        "An instant is written as Foundation writes it, to the second",
        arguments: [0, 1, 59, 86_399, 86_400, -1, -86_401, 951_782_400, 1_772_366_400.75, 4_102_444_799.999, -2_208_988_800.5])
    func agrees(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(date.iso8601 == date.ISO8601Format(), "\(seconds)")
    }

    @Test("What is written reads back as the same second")
    func roundTrip() throws {
        for seconds in stride(from: -400_000_000, through: 4_000_000_000, by: 37_777_777) {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(Date(iso8601OrDay: date.iso8601) == date, "\(date.iso8601)")
        }
    }
}
