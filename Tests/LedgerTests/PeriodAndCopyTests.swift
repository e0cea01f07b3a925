import Foundation
import KlingCore
import LedgerTestSupport
import Testing

@testable import Ledger

@Suite("Periods and copies")
struct PeriodAndCopyTests {
    @Test("Where a day starts at 01:00 (Chile's daylight-saving change at midnight), the next day still starts at midnight")
    func missingMidnight() throws {
        let zone = try #require(TimeZone(identifier: "America/Santiago"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let noon = try #require(calendar.date(from: DateComponents(year: 2026, month: 9, day: 6, hour: 12)))
        let start = try #require(BudgetPeriod.day.start(containing: noon, in: zone))
        let end = try #require(BudgetPeriod.day.end(startingAt: start, in: zone))
        #expect(calendar.component(.hour, from: end) == 0 && calendar.component(.day, from: end) == 7, "\\(end)")
        #expect(BudgetPeriod.day.start(containing: end, in: zone) == end, "the next period's key is its own start")
    }

    @Test("A copy with the write-ahead log but not its -shm is refused by readers, naming what to copy (SQLite: a server has no files to copy)")
    func incompleteCopy() throws {
        try withLedgerPath { path in
            let ledger = try Ledger(path: path)
            try ledger.record(pendingSubmission("s1"))
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("copy")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let copy = folder.appendingPathComponent("ledger.sqlite").path
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            try FileManager.default.copyItem(atPath: path + "-wal", toPath: copy + "-wal")
            #expect((try FileManager.default.attributesOfItem(atPath: copy + "-wal")[.size] as? Int ?? 0) > 0)
            #expect(throws: LedgerError.incompleteCopy(path: copy)) { try Ledger(path: copy, access: .read) }
        }
    }
}
