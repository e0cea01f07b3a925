import ArgumentParser
import Foundation
import Reports

/// Streams CSV to standard output, or to a file that appears only once complete: it is written
/// beside the target under a temporary name and moved into place at the end.
/// - Returns: what `body` returns (the rows written).
func writeCSV(to path: String?, _ body: (CSVWriter) throws -> Int) throws -> Int {
    guard let path else { return try body(CSVWriter(output: .standardOutput)) }
    let target = URL(fileURLWithPath: path)
    let partial = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
    guard FileManager.default.createFile(atPath: partial.path, contents: nil), let handle = try? FileHandle(forWritingTo: partial) else {
        throw ValidationError("cannot write \(path): check that its folder exists and is writable")
    }
    do {
        let rows = try body(CSVWriter(output: handle))
        try handle.synchronize()
        try handle.close()
        // rename(2) replaces an existing file atomically: a reader sees the old or the new one.
        guard rename(partial.path, target.path) == 0 else { throw ValidationError("cannot move the CSV into \(path)") }
        return rows
    } catch {
        try? handle.close()
        try? FileManager.default.removeItem(at: partial)
        throw error
    }
}
