import Foundation
import KlingCore
@testable import Ledger
import LedgerTestSupport
import Reports
import SwiftCSV

/// Runs `body` with a new ledger on `backend` and a fresh temporary folder for its reports,
/// then removes both.
func withLedger<T>(_ backend: LedgerBackend = .sqlite, _ body: (Ledger, URL) throws -> T) throws -> T {
    try withLedgerBlocking(backend, body)
}

/// The same, on threads of its own rather than Swift concurrency's pool (see `onOwnThreads`).
func withLedger<T>(_ backend: LedgerBackend = .sqlite, _ body: (Ledger, URL) throws -> T) async throws -> T {
    try await onOwnThreads { try withLedgerBlocking(backend, body) }
}

private func withLedgerBlocking<T>(_ backend: LedgerBackend, _ body: (Ledger, URL) throws -> T) throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kling-reports-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try backend.withScratchLocation { location in try body(try Ledger(path: location), folder) }
}

/// Runs a bundled report for a month into a file and parses it back with SwiftCSV, a parser
/// that is not our writer's inverse.
func runReport(
    _ name: String, on ledger: Ledger, in folder: URL, month: String = "2026-11", by: String? = nil, reports: String? = nil
) throws -> (header: [String], rows: [[String]], bytes: Data) {
    let report = try ReportCatalog(folder: reports, environment: [:]).definition(named: name)
    let file = folder.appendingPathComponent("\(name)-\(UUID().uuidString).csv")
    FileManager.default.createFile(atPath: file.path, contents: nil)
    let handle = try FileHandle(forWritingTo: file)
    try ReportRunner.run(
        report, on: ledger, month: try ReportMonth(month), grouping: try by.map { text throws(ReportError) in try Grouping(parsing: text) },
        into: CSVWriter(output: handle))
    try handle.close()
    let bytes = try Data(contentsOf: file)
    let csv = try CSV<Enumerated>(string: String(decoding: bytes, as: UTF8.self), delimiter: .comma, loadColumns: false)
    return (csv.header, csv.rows, bytes)
}

/// The column named `name` of every row.
func column(_ name: String, of report: (header: [String], rows: [[String]], bytes: Data)) throws -> [String] {
    guard let index = report.header.firstIndex(of: name) else { throw FixtureError.noColumn(name, report.header) }
    return report.rows.map { $0[index] }
}

/// The exact sum of a column of decimal USD.
func sumUSD(_ values: [String]) throws -> Int64 {
    try values.reduce(0) { total, text in
        guard let amount = USD(text) else { throw FixtureError.notUSD(text) }
        return total + amount.micros
    }
}

enum FixtureError: Error {
    case noColumn(String, [String])
    case notUSD(String)
}

/// A deterministic pseudo-random sequence, so a generated month is the same every run.
struct Generator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(bound))
    }
}

/// What a generated month holds, counted independently of any report.
struct GeneratedMonth {
    var submissionsInMonth = 0
    var chargedInMonth: Int64 = 0
    var heldInMonth: Int64 = 0
}

extension Ledger {
    /// Writes `count` submissions across teams, providers and outcomes (succeeded, failed,
    /// adjusted, still open, unknown, rejected), most in November 2026 (UTC) and a few just
    /// outside it, in one transaction.
    func generateMonth(count: Int, seed: UInt64 = 7) throws -> GeneratedMonth {
        var random = Generator(seed: seed)
        var totals = GeneratedMonth()
        let teams = ["video", "research, R&D", "Ünïcode \"team\"", "growth"]
        let providers: [Provider] = [.kling, .pixazo, .acedata, .kkiai]
        let november = Date(timeIntervalSince1970: 1_793_491_200)  // 2026-11-01T00:00:00Z
        try write { connection throws(LedgerError) in
            for index in 0..<count {
                // Mostly inside the month; one in twenty just before or after it.
                let outside = random.next(20) == 0
                let offset: TimeInterval = outside ? (random.next(2) == 0 ? -1 - Double(random.next(3600)) : 30 * 86_400 + Double(random.next(3600))) : Double(random.next(30 * 86_400))
                let now = Timestamp.string(november.addingTimeInterval(offset))
                let provider = providers[random.next(providers.count)]
                let quote = Int64(70_000 * (1 + random.next(10)))
                let id = "gen-\(index)"
                let outcome = random.next(10)  // 0-4 succeeded, 5 failed, 6 adjusted, 7 open, 8 unknown, 9 rejected
                var submission = NewSubmission(
                    id: id, idempotencyKey: id,
                    job: BillableJob(provider: provider, model: provider == .pixazo ? nil : "kling-v2-6", mode: provider == .pixazo ? nil : .pro, durationSeconds: 5 * (1 + random.next(2))),
                    team: teams[random.next(teams.count)], project: "p\(random.next(3))", user: "u\(random.next(5))",
                    tags: ["campaign": ["spring", "fall, \"special\"", "冬"][random.next(3)]],
                    quote: QuotedPrice(amount: USD(micros: quote), units: nil, unitPrice: nil, unitPriceSource: nil, table: "t", version: "v", rule: "r"),
                    state: outcome == 9 ? .rejected : .pending, prompt: "prompt \(index)")
                if outcome == 9 { submission.quote = nil }
                try insertSubmission(submission, at: now)
                if !outside { totals.submissionsInMonth += 1 }
                guard outcome != 9 else { continue }
                try insertEntry(.hold, amount: USD(micros: quote), submission: id, note: nil, at: now)
                var charged: Int64 = 0
                var held = quote
                switch outcome {
                case 0...4, 6:
                    let cost = quote / 2 + Int64(random.next(Int(quote)))
                    try insertEntry(.release, amount: USD(micros: quote), submission: id, note: nil, at: now)
                    try insertEntry(.charge, amount: USD(micros: cost), submission: id, note: nil, at: now)
                    try connection.run(
                        "UPDATE submissions SET state = 'succeeded', actual_cost_micros = ?, final_unit_deduction = ? WHERE id = ?",
                        [.integer(cost), .text(provider == .kling ? "2.5" : nil), .text(id)])
                    held = 0
                    charged = cost
                    if outcome == 6 {
                        let adjustment = Int64(random.next(50_000)) - 25_000
                        try insertEntry(.adjust, amount: USD(micros: adjustment), submission: id, note: "corrected", at: now)
                        charged += adjustment
                    }
                case 5:
                    try insertEntry(.release, amount: USD(micros: quote), submission: id, note: nil, at: now)
                    try connection.run("UPDATE submissions SET state = 'failed', actual_cost_micros = 0 WHERE id = ?", [.text(id)])
                    held = 0
                case 7:
                    try connection.run("UPDATE submissions SET state = 'processing', provider_task_id = ? WHERE id = ?", [.text("task-\(index)"), .text(id)])
                default:
                    try connection.run("UPDATE submissions SET state = 'unknown' WHERE id = ?", [.text(id)])
                }
                if !outside {
                    totals.chargedInMonth += charged
                    totals.heldInMonth += held
                }
            }
        }
        return totals
    }
}
