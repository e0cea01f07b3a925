import Foundation
import Testing

@testable import Ledger

/// The integer timestamp codec against Foundation's ISO 8601 format style it replaced.
@Suite("Timestamps")
struct TimestampTests {
    static let reference = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    static var instants: [Date] {
        var instants: [Date] = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
            Date(timeIntervalSince1970: 1_795_651_199.999), Date(timeIntervalSince1970: 4_102_444_799.5),
        ]
        var state: UInt64 = 7
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            instants.append(Date(timeIntervalSince1970: Double(state % 4_102_444_800_000_000) / 1_000_000))  // microseconds
        }
        return instants
    }

    @Test("The same calendar fields as Foundation's ISO 8601 style, the millisecond never later than the instant (by more than a microsecond)")
    func matchesFoundation() {
        var mismatches: [String] = []
        for instant in Self.instants {
            let ours = Timestamp.string(instant)
            let theirs = instant.formatted(Self.reference)
            // Foundation computes the millisecond through the 2001 reference date, and may land one below.
            let sameSecond = ours.prefix(19) == theirs.prefix(19) || abs(instant.timeIntervalSince1970.truncatingRemainder(dividingBy: 1)) > 0.998
            let ourMillis = Int(ours.dropFirst(20).prefix(3)) ?? -1
            let theirMillis = Int(theirs.dropFirst(20).prefix(3)) ?? -1
            if !sameSecond || !(0...1).contains(abs(ourMillis - theirMillis) % 999) { mismatches.append("\(instant.timeIntervalSince1970): \(ours) vs \(theirs)") }
            if let back = Timestamp.date(ours), back > instant.addingTimeInterval(0.000_002) { mismatches.append("\(ours) is later than the instant") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }

    @Test("Read exactly, and what is read is written back as the same text")
    func roundTrip() throws {
        var mismatches: [String] = []
        for instant in Self.instants {
            let text = Timestamp.string(instant)
            guard let read = Timestamp.date(text) else { mismatches.append("unreadable \(text)"); continue }
            if Timestamp.string(read) != text { mismatches.append("\(text) came back as \(Timestamp.string(read))") }
            if let foundation = try? Self.reference.parse(text), abs(foundation.timeIntervalSince(read)) > 0.000_01 {
                mismatches.append("\(text): \(read.timeIntervalSince1970) vs Foundation's \(foundation.timeIntervalSince1970)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        #expect(Timestamp.date("2026-11-21T11:25:29.123") == nil && Timestamp.date("2026-13-01T00:00:00.000Z") == nil)
        #expect(Timestamp.string(try #require(Timestamp.date("2026-11-21T11:25:29.123Z"))) == "2026-11-21T11:25:29.123Z")
    }
}
