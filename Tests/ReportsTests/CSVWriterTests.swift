import Foundation
import Ledger
import Testing

@testable import Reports

/// The raw-buffer CSV writer against the array-based one it replaced, kept here as the oracle.
@Suite("CSV writer")
struct CSVWriterTests {
    /// The writer as it was: fields appended to an array, quoted by the same rule.
    static func reference(_ records: [[String?]]) -> Data {
        var bytes: [UInt8] = []
        for record in records {
            for (index, field) in record.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                guard let field, !field.isEmpty else { continue }
                let utf8 = Array(field.utf8)
                let quote = [0x20, 0x09].contains(utf8.first) || [0x20, 0x09].contains(utf8.last)
                    || utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
                if quote {
                    bytes.append(UInt8(ascii: "\""))
                    for byte in utf8 {
                        if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                        bytes.append(byte)
                    }
                    bytes.append(UInt8(ascii: "\""))
                } else {
                    bytes += utf8
                }
            }
            bytes += [0x0D, 0x0A]
        }
        return Data(bytes)
    }

    @Test("Awkward fields, flush boundaries and a field longer than the buffer come out byte-identical to the old writer")
    func byteIdentical() throws {
        let awkward: [String?] = [
            nil, "", "plain", "a fox, running", "\"hello\"", "line\nbreak", "crlf\r\nend", " edge", "tab\t", "日本語 🎬", "\"", ",",
            "0.70", "-1.00", String(repeating: "a prompt of some length ", count: 20),
        ]
        var records: [[String?]] = []
        for row in 0..<4_000 {
            records.append((0..<7).map { column in awkward[(row * 7 + column) % awkward.count] })
        }
        // Fields longer than the writer's buffer, plain and quoted.
        records.insert(["before", String(repeating: "x", count: 200_000), "after"], at: 1_000)
        records.insert([String(repeating: "\"q\", ", count: 50_000)], at: 2_000)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        let writer = CSVWriter(output: handle)
        for record in records {
            for field in record { try writer.field(field) }
            try writer.endRecord()
        }
        try writer.flush()
        try handle.close()
        let written = try Data(contentsOf: file)
        #expect(written.count > 1_000_000, "several flushes and long fields were exercised")
        #expect(written == Self.reference(records))
    }
}
