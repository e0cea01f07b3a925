import Foundation
import Ledger
import Reports

// The `items` report over a large month, next to `sqlite3 -csv` exporting the same rows from
// the same file in the same run. Each side runs as a child process of this one, so its wall
// time and peak resident memory (from wait4) are its own.
//
//   items-report-benchmark [rows]             generate a ledger of `rows` (default 1,000,000) and compare
//   items-report-benchmark report LEDGER OUT  (child) run the items report for 2026-11 into OUT

let arguments = CommandLine.arguments
if arguments.count == 4, arguments[1] == "report" {
    let ledger = try Ledger(path: arguments[2])
    _ = FileManager.default.createFile(atPath: arguments[3], contents: nil)
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: arguments[3]))
    let report = try ReportCatalog(folder: nil).definition(named: "items")
    try ReportRunner.run(report, on: ledger, month: try ReportMonth("2026-11"), into: CSVWriter(output: output))
    try output.close()
    exit(0)
}

let rows = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("items-benchmark-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let path = folder.appendingPathComponent("ledger.sqlite").path

print("Generating a ledger of \(rows) submissions in November 2026 …")
let generation = Date()
try generate(rows: rows, at: path)
print(String(format: "  generated in %.1f s (%d MB)", Date().timeIntervalSince(generation),
             ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / 1_000_000))

let ours = try measure(CommandLine.arguments[0], ["report", path, folder.appendingPathComponent("items.csv").path])
// The same rows, joins and order, with money left as integers (sqlite3 has no usd()).
let sameRows = """
    SELECT s.id, s.created_at, s.updated_at, s.state, s.team, s.project, s.user_name, s.tags, s.provider, s.kind, s.model, s.mode,
        s.duration_seconds, s.sound, s.aspect_ratio, s.prompt, s.quote_micros, s.quote_units, s.unit_price_micros, s.unit_price_source,
        s.price_table, s.price_version, s.price_rule, s.provider_task_id, s.external_task_id, s.final_unit_deduction,
        s.actual_cost_micros, coalesce(m.charged_micros, 0), coalesce(m.held_micros, 0), s.error_code, s.error_message, s.idempotency_key
    FROM submissions s LEFT JOIN submission_balances m ON m.submission_id = s.id
    WHERE s.created_at >= '2026-11-01T00:00:00.000Z' AND s.created_at < '2026-12-01T00:00:00.000Z'
    ORDER BY s.created_at, s.id
    """
let sqlite = try measure("/usr/bin/sqlite3", ["-csv", "-header", path, sameRows], stdout: folder.appendingPathComponent("sqlite3.csv").path)

func lines(_ name: String) -> Int {
    guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { return 0 }
    return data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
}
print("")
print("                         wall time    peak memory    CSV lines")
print(String(format: "kling-ledger items     %8.2f s    %8.1f MB    %9d", ours.seconds, ours.peakMB, lines("items.csv")))
print(String(format: "sqlite3 -csv           %8.2f s    %8.1f MB    %9d", sqlite.seconds, sqlite.peakMB, lines("sqlite3.csv")))
print(String(format: "ratio (ours / sqlite3) %8.2f×     %8.2f×", ours.seconds / sqlite.seconds, ours.peakMB / sqlite.peakMB))
print("(lines count newlines: fields with line breaks in them add to both alike)")

/// Runs a child to completion under GNU time: its wall time and peak resident set.
///
/// Not wait4 on a child of this process: a child spawned from here counts this process's own
/// pages in its peak until it execs. GNU time's own footprint, a couple of MB, is what its
/// child starts from instead.
func measure(_ executable: String, _ arguments: [String], stdout: String? = nil) throws -> (seconds: Double, peakMB: Double) {
    let report = FileManager.default.temporaryDirectory.appendingPathComponent("time-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: report) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
    process.arguments = ["-o", report, "-f", "%e %M", executable] + arguments
    if let stdout {
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
    }
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BenchmarkError.failed(executable, process.terminationStatus) }
    let fields = (try String(contentsOfFile: report, encoding: .utf8)).split(whereSeparator: { $0 == " " || $0 == "\n" })
    guard fields.count >= 2, let seconds = Double(fields[fields.count - 2]), let kilobytes = Double(fields[fields.count - 1]) else {
        throw BenchmarkError.cannotRun("/usr/bin/time (install Debian's time package)")
    }
    return (seconds, kilobytes / 1024)
}

/// A ledger of `rows` settled, failed and open submissions, written by SQL in one transaction
/// (the ledger's own triggers still check every row).
func generate(rows: Int, at path: String) throws {
    let ledger = try Ledger(path: path)
    try ledger.connection.write { () throws(LedgerError) in
        try ledger.connection.execute("""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows - 1))
            INSERT INTO submissions (id, idempotency_key, provider, kind, model, mode, duration_seconds, sound, team, project, user_name,
                tags, quote_micros, price_table, price_version, price_rule, state, provider_task_id, prompt, created_at, updated_at)
            SELECT printf('bench-%07d', i), printf('key-%07d', i), 'kling', 'text2video', 'kling-v2-6', 'pro', 5 + 5 * (i % 2), i % 2,
                'team-' || (i % 7), 'project ' || (i % 13), 'user' || (i % 50), json_object('campaign', 'spring, "launch"', 'n', i % 3),
                140000 * (1 + i % 5), 'pricing/kling.json', '2026-01', 'rule ' || (i % 20), 'pending', NULL,
                'a fox running through fresh snow, shot ' || i,
                strftime('%Y-%m-%dT%H:%M:%fZ', '2026-11-01', '+' || (i * 2592 / \(rows)) || ' seconds', '+' || (i * 1000.0 / \(rows)) || ' seconds'),
                '2026-11-30T00:00:00.000Z'
            FROM n
            """)
        try ledger.connection.execute("""
            INSERT INTO entries (submission_id, kind, amount_micros, created_at)
            SELECT id, 'hold', quote_micros, created_at FROM submissions;
            INSERT INTO entries (submission_id, kind, amount_micros, created_at)
            SELECT id, 'release', quote_micros, created_at FROM submissions WHERE CAST(substr(id, 7) AS INTEGER) % 10 <> 9;
            INSERT INTO entries (submission_id, kind, amount_micros, created_at)
            SELECT id, 'charge', quote_micros, created_at FROM submissions WHERE CAST(substr(id, 7) AS INTEGER) % 10 < 8;
            UPDATE submissions SET state = 'succeeded', actual_cost_micros = quote_micros, final_unit_deduction = '5',
                provider_task_id = 'task-' || id WHERE CAST(substr(id, 7) AS INTEGER) % 10 < 8;
            UPDATE submissions SET state = 'failed', actual_cost_micros = 0 WHERE CAST(substr(id, 7) AS INTEGER) % 10 = 8;
            """)
    }
}

enum BenchmarkError: Error {
    case cannotRun(String)
    case failed(String, Int32)
}
